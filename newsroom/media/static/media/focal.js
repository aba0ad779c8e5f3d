// The focal point picker on an image's admin page: a click on the picture,
// or the arrow keys while it has the focus (5 % a press, 1 % with Shift),
// sets the focal point fields (0..1 from the left and the top); the status
// line under it says where the point is, for a screen reader too.
document.addEventListener("DOMContentLoaded", function () {
  var picker = document.querySelector(".focal-picker");
  var fx = document.getElementById("id_focal_x");
  var fy = document.getElementById("id_focal_y");
  if (!picker || !fx || !fy) return;
  var dot = picker.querySelector(".focal-picker__dot");
  var where = document.querySelector(".focal-picker__where");
  var STEPS = {
    ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1]
  };

  function read(field) {
    var value = parseFloat(field.value);
    return isFinite(value) && value >= 0 && value <= 1 ? value : null;
  }
  function show() {
    var x = read(fx), y = read(fy);
    if (x === null || y === null) {
      dot.hidden = true;
      if (where) where.textContent = "Focal point not set: give both as 0 to 1.";
      return;
    }
    dot.hidden = false;
    dot.style.left = (x * 100) + "%";
    dot.style.top = (y * 100) + "%";
    if (where) {
      where.textContent = "Focal point: " + Math.round(x * 100) +
        "% from the left, " + Math.round(y * 100) + "% from the top";
    }
  }
  function set(x, y) {
    fx.value = Math.min(1, Math.max(0, x)).toFixed(2);
    fy.value = Math.min(1, Math.max(0, y)).toFixed(2);
    show();
  }
  picker.addEventListener("click", function (event) {
    var box = picker.querySelector("img").getBoundingClientRect();
    set((event.clientX - box.left) / box.width, (event.clientY - box.top) / box.height);
  });
  picker.addEventListener("keydown", function (event) {
    var step = STEPS[event.key];
    if (!step || event.altKey || event.ctrlKey || event.metaKey) return;
    event.preventDefault();  // the arrows move the point, not the page
    var size = event.shiftKey ? 0.01 : 0.05;
    var x = read(fx), y = read(fy);
    set((x === null ? 0.5 : x) + step[0] * size, (y === null ? 0.5 : y) + step[1] * size);
  });
  fx.addEventListener("input", show);
  fy.addEventListener("input", show);
  show();
});
