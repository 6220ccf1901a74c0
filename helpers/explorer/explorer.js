(function () {
  var me = document.currentScript, root = me && me.parentElement;
  if (!root) { return; }
  var data = JSON.parse(root.querySelector("script.dlbook-explorer-data").textContent);
  var frames = root.querySelector("script.dlbook-explorer-frames").textContent.split("*");
  for (var f = 0; f < frames.length; f++) { frames[f] = frames[f].replace(/\s+/g, ""); }
  var img = root.querySelector("img.dlbook-explorer-frame");
  var inputs = root.querySelectorAll("[data-control]");
  function update() {
    var flat = 0, alt = [];
    for (var i = 0; i < inputs.length; i++) {
      var k = parseInt(inputs[i].value, 10), label = data.labels[i][k];
      flat = flat * data.sizes[i] + k;
      alt.push(data.names[i] + "=" + label);
      var out = root.querySelector('output[data-for="' + i + '"]');
      if (out) { out.textContent = label; inputs[i].setAttribute("aria-valuetext", label); }
    }
    img.src = "data:image/png;base64," + frames[data.index[flat]];
    img.alt = "figure for " + alt.join(", ");
  }
  for (var i = 0; i < inputs.length; i++) {
    inputs[i].addEventListener("input", update);
    inputs[i].addEventListener("change", update);
  }
})();
