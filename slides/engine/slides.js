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

  // Slides of text, code and tables get the largest type at which they still fit, in steps of
  // FIT.step times the base size from FIT.low to FIT.high: short slides fill the screen, long
  // ones shrink a little. A figure under the text already fills the space left, so its slide
  // keeps the base size; a figure in a column leaves the other column to fit.
  const FIT = { low: 0.85, high: 1.4, step: 0.05 };

  // Whether a slide's content needs more room than it has: the slide or a column is too short,
  // or a line is too long for its block (text running into the margin is not an overflow of the slide).
  function overflows(slide) {
    const boxes = [slide, ...slide.querySelectorAll(".column")];
    const blocks = [...boxes, ...slide.querySelectorAll("pre, p, li, table, math[display=block]")];
    return boxes.some((box) => box.scrollHeight > box.clientHeight) ||
      blocks.some((block) => block.scrollWidth > block.clientWidth);
  }

  function fitType(slide) {
    if (slide.classList.contains("title") || slide.querySelector(":scope > figure, :scope > .figure-missing")) {
      return;
    }
    slide.style.display = "flex"; // measured while shown, whichever slide is current
    const size = (step) => String(FIT.low + step * FIT.step);
    let [fits, over] = [0, Math.round((FIT.high - FIT.low) / FIT.step) + 1]; // fits: the largest known to fit
    while (over - fits > 1) {
      const middle = Math.floor((fits + over) / 2);
      slide.style.setProperty("--fit", size(middle));
      [fits, over] = overflows(slide) ? [fits, middle] : [middle, over];
    }
    slide.style.setProperty("--fit", size(fits));
    slide.style.display = "";
  }

  window.addEventListener("hashchange", () => show(fromHash()));
  window.addEventListener("resize", fit);
  slides.forEach(fitType);
  fit();
  show(fromHash());
})();
