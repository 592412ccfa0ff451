// The web console through the deployment's nginx, in Chromium (Debian's, driven by playwright-core): /login loads over
// TLS (the self-signed certificate is not trusted, so its errors are ignored), the user signs in, and the dashboard
// shows. Any failed request, answer >= 400, page error or console error (a CSP violation is one) fails it.
// Run by scripts/compose-smoke.sh with Node >= 24 (types stripped):
//   node tests/compose-e2e/test/support/console-in-chromium.ts <https base URL> <email> <password> <screenshot dir>
// Prints one line: the requests made and the titles seen. Exit 1 with the reason on failure. CHROMIUM_PATH overrides
// /usr/bin/chromium.
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';

const [base, email, password, outDir] = process.argv.slice(2);
if (!base || !email || !password || !outDir) {
  console.error('usage: console-in-chromium.ts <base URL> <email> <password> <screenshot dir>');
  process.exit(2);
}

/** The console page's own `<h1>` (the shell's `<main>` child's shadow root) and the document's title. */
const heading = (page: Page) =>
  page.evaluate(() => {
    const pageElement = document.querySelector('metis-console')?.shadowRoot?.querySelector('main > *');
    return { text: pageElement?.shadowRoot?.querySelector('h1')?.textContent?.trim() ?? '', title: document.title };
  });

/** Polls `read` until `accept` holds, for up to `ms` (the page renders after its modules load). */
async function until<T>(read: () => Promise<T>, accept: (value: T) => boolean, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  let value = await read();
  while (!accept(value)) {
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    value = await read();
  }
  return value;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const problems: string[] = [];
let requests = 0;
try {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} (${request.failure()?.errorText})`));
  page.on('response', (response) => {
    requests += 1;
    // The sign-in's 401 never happens here: the password is right.
    if (response.status() >= 400) problems.push(`${response.status()} for ${response.url()}`);
  });

  const login = await page.goto(`${base}/login`, { timeout: 60_000 });
  if (login?.status() !== 200) throw new Error(`/login answered ${login?.status()}`);
  if (!/content-security-policy/i.test(Object.keys(login.headers()).join(' '))) throw new Error('/login came without its CSP');
  const signIn = await until(
    () => heading(page),
    (h) => h.text === 'Sign in',
    60_000,
    'the sign-in page',
  );
  await page.locator('metis-console #email').fill(email);
  await page.locator('metis-console #password').fill(password);
  await page.screenshot({ path: path.join(outDir, 'console-login.png') });
  await page.locator('metis-console button[type="submit"]').click();
  await page.waitForURL(`${base}/`, { timeout: 60_000 });
  const dashboard = await until(
    () => heading(page),
    (h) => h.text === 'Dashboard',
    60_000,
    'the dashboard after signing in',
  );
  await page.screenshot({ path: path.join(outDir, 'console-dashboard.png') });
  if (problems.length > 0) throw new Error(problems.join('\n'));
  console.log(`console: ${requests} requests through nginx, '${signIn.title}' then '${dashboard.title}'`);
} catch (error) {
  console.error(`console in Chromium: ${(error as Error).message}${problems.length > 0 ? `\n${problems.join('\n')}` : ''}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
