// The deck's keys: → ↓ space PageDown Enter: next; ← ↑ Shift+space PageUp Backspace: back;
// Home/End: first/last; F: full screen. The slide's number is in the URL (#7), so a reload stays.
(() => {
  const slides = [...document.querySelectorAll(".slide")];
  let at = 0;
  const title = document.title;
  function show(n) {
    at = Math.max(0, Math.min(slides.length - 1, n));
    slides.forEach((slide, i) => slide.classList.toggle("actual", i === at));
    if (location.hash !== `#${at + 1}`) history.replaceState(null, "", `#${at + 1}`);
    document.title = `${title} (${at + 1}/${slides.length})`;
  }
  const fromHash = () => {
    const n = parseInt(location.hash.slice(1), 10);
    return Number.isFinite(n) ? n - 1 : 0;
  };
  addEventListener("hashchange", () => show(fromHash()));
  addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const key = event.key;
    if (["ArrowRight", "ArrowDown", "PageDown", "Enter"].includes(key)) show(at + 1);
    else if (["ArrowLeft", "ArrowUp", "PageUp", "Backspace"].includes(key)) show(at - 1);
    else if (key === " ") show(event.shiftKey ? at - 1 : at + 1);
    else if (key === "Home") show(0);
    else if (key === "End") show(slides.length - 1);
    else if (key === "f" || key === "F") {
      if (document.fullscreenElement) document.exitFullscreen();
      else document.documentElement.requestFullscreen?.();
    } else return;
    event.preventDefault();
  });
  addEventListener("click", (event) => {
    if (event.target.closest("a") || getSelection()?.toString()) return;
    show(event.clientX < innerWidth / 3 ? at - 1 : at + 1);
  });
  show(fromHash());
})();
