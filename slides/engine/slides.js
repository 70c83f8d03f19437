// Slide navigation: one slide shown at a time, addressed by #slide-N, driven by the keyboard.
(function () {
  "use strict";
  const slides = Array.from(document.querySelectorAll(".slide"));
  const NEXT = ["ArrowRight", "ArrowDown", "PageDown", "Enter", " "];
  const PREVIOUS = ["ArrowLeft", "ArrowUp", "PageUp", "Backspace"];
  let current = -1;

  function fromHash() {
    const match = /^#slide-(\d+)$/.exec(window.location.hash);
    return match ? Number(match[1]) - 1 : 0;
  }

  function show(index) {
    index = Math.max(0, Math.min(slides.length - 1, index));
    if (index !== current) {
      slides.forEach((slide, i) => slide.classList.toggle("active", i === index));
      current = index;
    }
    const hash = "#slide-" + (index + 1);
    if (window.location.hash !== hash) {
      history.replaceState(null, "", hash);
    }
  }

  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    let target;
    if (event.key === " " && event.shiftKey) {
      target = current - 1;
    } else if (NEXT.includes(event.key)) {
      target = current + 1;
    } else if (PREVIOUS.includes(event.key)) {
      target = current - 1;
    } else if (event.key === "Home") {
      target = 0;
    } else if (event.key === "End") {
      target = slides.length - 1;
    } else {
      return;
    }
    event.preventDefault();
    show(target);
  });

  // The deck is laid out at 1280 x 720 and scaled to fit the window.
  function fit() {
    const scale = Math.min(window.innerWidth / 1280, window.innerHeight / 720);
    document.documentElement.style.setProperty("--scale", String(scale));
  }

  window.addEventListener("hashchange", () => show(fromHash()));
  window.addEventListener("resize", fit);
  fit();
  show(fromHash());
})();
