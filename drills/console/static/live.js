// The cohort page's live part, fetched again every 10 seconds and swapped in only while
// no field in it has focus or typed text: a hint being typed is never wiped, and the page
// never reloads. Served from the console itself (no bundle, no CDN).
(function () {
  const live = document.getElementById("live"), note = document.getElementById("live-note");
  if (!live) return;
  const busy = () => live.contains(document.activeElement) ||
    Array.from(live.querySelectorAll("input[name=text]")).some((i) => i.value.trim() !== "");
  async function update() {
    if (busy()) { note.textContent = "Updates paused while you type a hint."; return; }
    try {
      const answer = await fetch(live.dataset.src, {credentials: "same-origin"});
      if (!answer.ok || busy()) return;
      live.innerHTML = await answer.text();
      note.textContent = "Updated at " + new Date().toLocaleTimeString() +
        "; every 10 seconds, never while you type.";
    } catch (e) { note.textContent = "The console did not answer; trying again."; }
  }
  window.speechdrillLive = update;  // one update now (the browser tests call it)
  setInterval(update, 10000);
})();
