// A team page's live channel: server-sent events append each new post to the feed and
// keep the team clock current. The stream's address is the script tag's data-events.
(function () {
  var feed = document.getElementById("feed");
  var events = document.currentScript.dataset.events;
  var source = new EventSource(events + "?after=" + feed.children.length);
  source.addEventListener("item", function (e) {
    var empty = document.getElementById("feed-empty");
    if (empty) { empty.remove(); }
    feed.insertAdjacentHTML("beforeend", JSON.parse(e.data).html);
  });
  source.addEventListener("state", function (e) {
    var state = JSON.parse(e.data);
    document.getElementById("team-clock").textContent = state.clock;
    if (state.closed) { document.getElementById("live").textContent = "closed"; }
  });
})();
