/**
 * What every driver object does, run against Docker and the local driver alike: create with labels, list and
 * reap by owner, stop then connect, and remove by id without starting anything. Call it inside a `describe`;
 * each test makes its own owner, and the suite reaps what is left of them at the end.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, expect, test } from 'vitest';
import { type Sandbox, type SandboxDriver, SandboxNotFoundError } from '../../src/index.ts';
import { outputOf } from '../helpers/run-command.ts';

/** Watches one sandbox from before an action until its removal has been seen. */
export interface SandboxWatch {
  /**
   * Resolves once the sandbox's removal has been observed; answers what was seen meanwhile that means the sandbox
   * ran (a container start or exec, a file written by the driver or a shell), empty when nothing did.
   */
  untilGone(): Promise<string[]>;
}

export interface DriverSuiteTarget {
  /** A driver whose sandboxes carry `owner`. */
  driver(owner: string): SandboxDriver;
  /** A sandbox id of this driver's form that names nothing. */
  unknownId: string;
  watch(sandbox: Sandbox): Promise<SandboxWatch>;
}

export function driverSuite(target: DriverSuiteTarget): void {
  const drivers: SandboxDriver[] = [];
  const fresh = () => {
    const driver = target.driver(`suite-${randomUUID().slice(0, 8)}`);
    drivers.push(driver);
    return driver;
  };
  afterAll(async () => {
    await Promise.all(drivers.map((driver) => driver.reap({ keep: [] }).catch(() => undefined)));
  });

  test("create labels a sandbox with the driver's owner and its conversation; list filters by owner", async () => {
    const [driver, other] = [fresh(), fresh()];
    const [mine, theirs] = await Promise.all([driver.create({ conversationId: 'conv-1', labels: { team: 'blue' } }), other.create()]);
    expect(mine.driver).toBe(driver.name);
    const listed = await driver.list({ owner: driver.owner });
    expect(listed.map((info) => info.id)).toEqual([mine.id]);
    expect(listed[0]).toMatchObject({
      id: mine.id,
      driver: driver.name,
      owner: driver.owner,
      conversationId: 'conv-1',
      state: 'running',
      workdir: mine.workdir,
      labels: { team: 'blue' },
    });
    expect(await mine.info()).toMatchObject({ id: mine.id, owner: driver.owner, conversationId: 'conv-1' });
    const everyone = (await driver.list()).map((info) => info.id);
    expect(everyone).toEqual(expect.arrayContaining([mine.id, theirs.id]));
  });

  test("reap removes the owner's sandboxes that are not kept, and nobody else's", async () => {
    const [driver, other] = [fresh(), fresh()];
    const [kept, orphan, another] = await Promise.all([driver.create(), driver.create(), other.create()]);
    await outputOf(orphan, 'sleep 300 &');
    expect(await driver.reap({ keep: [kept.id] })).toEqual([orphan.id]);
    expect((await driver.list({ owner: driver.owner })).map((info) => info.id)).toEqual([kept.id]);
    expect((await other.list({ owner: other.owner })).map((info) => info.id)).toEqual([another.id]);
    expect(await driver.reap({ owner: other.owner, keep: (info) => info.id !== another.id })).toEqual([another.id]);
    expect(await other.list({ owner: other.owner })).toEqual([]);
  });

  test('stop, then connect starts the sandbox again with its files, working directory and exported environment', async () => {
    const driver = fresh();
    const sandbox = await driver.create();
    await outputOf(
      sandbox,
      `mkdir -p ${sandbox.workdir}/deep && cd ${sandbox.workdir}/deep && export AFTER_STOP=yes && echo data > ${sandbox.workdir}/kept.txt`,
    );
    await sandbox.stop();
    expect((await driver.list({ owner: driver.owner }))[0]?.state).not.toBe('running');
    const again = await driver.connect(sandbox.id);
    expect(again.id).toBe(sandbox.id);
    expect(await outputOf(again, `echo "$AFTER_STOP"; pwd; cat ${sandbox.workdir}/kept.txt`)).toBe(`yes\n${sandbox.workdir}/deep\ndata`);
    expect((await again.info()).state).toBe('running');
  });

  test('remove(id) deletes a stopped sandbox without starting it or opening a shell', async () => {
    const driver = fresh();
    const sandbox = await driver.create();
    await outputOf(sandbox, `echo data > ${sandbox.workdir}/file.txt`);
    await sandbox.stop();
    expect((await driver.list({ owner: driver.owner }))[0]?.state).not.toBe('running');
    const watch = await target.watch(sandbox);
    await driver.remove(sandbox.id);
    expect(await watch.untilGone()).toEqual([]);
    expect(await driver.list({ owner: driver.owner })).toEqual([]);
    await expect(driver.connect(sandbox.id)).rejects.toBeInstanceOf(SandboxNotFoundError);
  });

  test("attachFiles reaches a running sandbox's files without a shell; the sandbox reports its workspace", async () => {
    const driver = fresh();
    const sandbox = await driver.create();
    await outputOf(sandbox, `mkdir -p ${sandbox.workdir}/dir && printf made-by-shell > ${sandbox.workdir}/dir/a.txt`);
    const attached = await driver.attachFiles(sandbox.id);
    expect(attached).toMatchObject({ id: sandbox.id, workdir: sandbox.workdir, workspace: sandbox.workspace });
    expect((await attached.files.list(`${attached.workdir}/dir`)).map((entry) => entry.name)).toEqual(['a.txt']);
    expect(new TextDecoder().decode(await attached.files.readFile(`${attached.workdir}/dir/a.txt`))).toBe('made-by-shell');
    await attached.files.writeFile(`${attached.workdir}/dir/b.txt`, 'made-by-attach');
    expect(await outputOf(sandbox, `cat ${sandbox.workdir}/dir/b.txt`)).toBe('made-by-attach');
    expect((await sandbox.info()).workspace).toBe(sandbox.workspace);
    await expect(driver.attachFiles(target.unknownId)).rejects.toBeInstanceOf(SandboxNotFoundError);
    await expect(driver.attachFiles('../not-an-id')).rejects.toBeInstanceOf(SandboxNotFoundError);
  });

  test('remove(id) ends a running sandbox; a second removal and unknown ids do nothing', async () => {
    const driver = fresh();
    const sandbox = await driver.create();
    await outputOf(sandbox, 'sleep 300 &');
    await driver.remove(sandbox.id);
    expect(await driver.list({ owner: driver.owner })).toEqual([]);
    await expect(driver.remove(sandbox.id)).resolves.toBeUndefined();
    await expect(driver.remove(target.unknownId)).resolves.toBeUndefined();
    await expect(driver.remove('../not-an-id')).resolves.toBeUndefined();
    await expect(driver.connect(sandbox.id)).rejects.toBeInstanceOf(SandboxNotFoundError);
    await expect(driver.connect(target.unknownId)).rejects.toBeInstanceOf(SandboxNotFoundError);
    await expect(driver.connect('../not-an-id')).rejects.toBeInstanceOf(SandboxNotFoundError);
  });
}
