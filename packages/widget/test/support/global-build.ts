import { buildConsole, buildWidget } from '../../scripts/build.mjs';

/** Builds the widget and the console once before the tests: the browser tests load what the server serves. */
export default async function buildOnce() {
  await buildWidget();
  await buildConsole();
}
