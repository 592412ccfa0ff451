// The console's one classic script, run after the page has loaded: when the console's module did not load (a request
// of its module graph failed during the page load: Chromium aborts in-flight requests with ERR_NETWORK_CHANGED when the
// host's network interfaces change, as they do when Docker starts a sandbox on the same machine), the page would stay
// blank. It reloads once instead; not again within 30 s (truly offline: the browser's own error page says so).
addEventListener('load', () => {
  if (customElements.get('metis-console')) return;
  const key = 'metis-console:reloaded-at';
  try {
    if (Date.now() - Number(sessionStorage.getItem(key) ?? 0) < 30_000) return;
    sessionStorage.setItem(key, String(Date.now()));
  } catch {
    return;
  }
  location.reload();
});
