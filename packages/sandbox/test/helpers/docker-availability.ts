import Docker from 'dockerode';

/**
 * Whether the Docker suites can run. Without an engine they are skipped with a visible notice;
 * with `CI` set a missing engine fails the run instead (scripts/ensure-docker.sh should have
 * started one).
 */
async function probe(): Promise<boolean> {
  try {
    await new Docker().ping();
    return true;
  } catch {
    return false;
  }
}

export const hasDocker = await probe();

if (!hasDocker) {
  if (process.env.CI) {
    throw new Error('CI is set but no Docker engine answers: run scripts/ensure-docker.sh before the tests.');
  }
  console.warn('[sandbox tests] No Docker engine answers: skipping the Docker suites (run scripts/ensure-docker.sh to enable them).');
}

/** The stock base image the Docker suites use (no build step of ours). */
export const STOCK_IMAGE = process.env.BASE_IMAGE || 'debian:bookworm-slim';
