// The focal point picker on an image's admin page: a click on the picture
// sets the focal point fields (0..1 from the left and the top).
document.addEventListener("DOMContentLoaded", function () {
  var picker = document.querySelector(".focal-picker");
  var fx = document.getElementById("id_focal_x");
  var fy = document.getElementById("id_focal_y");
  if (!picker || !fx || !fy) return;
  var dot = picker.querySelector(".focal-picker__dot");
  function show() {
    dot.style.left = (parseFloat(fx.value) * 100) + "%";
    dot.style.top = (parseFloat(fy.value) * 100) + "%";
  }
  picker.addEventListener("click", function (event) {
    var box = picker.querySelector("img").getBoundingClientRect();
    var x = (event.clientX - box.left) / box.width;
    var y = (event.clientY - box.top) / box.height;
    fx.value = Math.min(1, Math.max(0, x)).toFixed(2);
    fy.value = Math.min(1, Math.max(0, y)).toFixed(2);
    show();
  });
  fx.addEventListener("input", show);
  fy.addEventListener("input", show);
  show();
});
