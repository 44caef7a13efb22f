import { spawnSync } from 'node:child_process';
import { MAX_SOURCE_LABELS, Metrics, OTHER_SOURCES_LABEL } from '../../src/metrics';

describe('metrics: the source label is bounded', () => {
  const ids = Array.from({ length: MAX_SOURCE_LABELS + 50 }, (_, i) => `s${i}`);

  it('labels the configured sources in order, up to the cap, and the rest as one shared label', async () => {
    const metrics = new Metrics();
    metrics.labelSources(ids);
    expect(metrics.sourceLabel('s0')).toBe('s0');
    expect(metrics.sourceLabel(`s${MAX_SOURCE_LABELS - 1}`)).toBe(`s${MAX_SOURCE_LABELS - 1}`);
    expect(metrics.sourceLabel(`s${MAX_SOURCE_LABELS}`)).toBe(OTHER_SOURCES_LABEL);
    for (const id of ids)
      metrics.sourceFetchDuration.observe({ source: metrics.sourceLabel(id), result: 'ok' }, 0.1);
    const { values } = await metrics.sourceFetchDuration.get();
    const sources = new Set(values.map((v) => v.labels.source));
    expect(sources.size).toBe(MAX_SOURCE_LABELS + 1);
    const otherCount = values.find(
      (v) => v.labels.source === OTHER_SOURCES_LABEL && v.metricName?.endsWith('_count'),
    );
    expect(otherCount?.value).toBe(50);
  });

  it('reports the most open breaker of the shared label on scrape', async () => {
    const metrics = new Metrics();
    metrics.labelSources(ids);
    metrics.watch({
      sources: () => ids.map((id) => ({ id, breaker: id === ids.at(-1) ? 'OPEN' : 'CLOSED' })),
    });
    const { values } = await metrics.breakerState.get();
    expect(values).toHaveLength(MAX_SOURCE_LABELS + 1);
    expect(values.find((v) => v.labels.source === OTHER_SOURCES_LABEL)?.value).toBe(2);
    expect(values.find((v) => v.labels.source === 's0')?.value).toBe(0);
  });

  it('labels sources it was not told about on first sight while there is room', () => {
    const metrics = new Metrics();
    expect(metrics.sourceLabel('late')).toBe('late');
  });
});

describe('metrics: snapshot hits', () => {
  const hitsIn = (text: string) =>
    Number(/^whereabouts_snapshot_total\{result="hit"\} (\d+)$/m.exec(text)?.[1] ?? 'NaN');

  it('counts every hit once, whenever the registry is read, alongside builds', async () => {
    const metrics = new Metrics();
    for (let i = 0; i < 7; i++) metrics.snapshotHit();
    metrics.snapshots.inc({ result: 'build' });
    const first = await metrics.registry.metrics();
    expect(hitsIn(first)).toBe(7);
    expect(first).toMatch(/^whereabouts_snapshot_total\{result="build"\} 1$/m);
    // Read again with nothing new: the same count, not added twice.
    expect(hitsIn(await metrics.registry.metrics())).toBe(7);
    for (let i = 0; i < 5; i++) metrics.snapshotHit();
    expect(hitsIn(await metrics.registry.metrics())).toBe(12);
    // Read through the metric itself, as /metrics' JSON form would.
    metrics.snapshotHit();
    const { values } = await metrics.snapshots.get();
    expect(values.find((v) => v.labels.result === 'hit')?.value).toBe(13);
  });

  it('shows no hit series before the first hit', async () => {
    const metrics = new Metrics();
    expect(await metrics.registry.metrics()).not.toMatch(/whereabouts_snapshot_total\{result="hit"\}/);
  });
});

describe('metrics: clean for Prometheus (issue 21)', () => {
  const text = async () => {
    const metrics = new Metrics({ defaultMetrics: true });
    metrics.watch({ sources: () => [{ id: 'dorset-feed', breaker: 'CLOSED' }], l2State: () => 'ready' });
    return metrics.registry.metrics();
  };

  test('no metric that is not a counter has a name ending in _total (promtool lint)', async () => {
    const types = [...(await text()).matchAll(/^# TYPE (\S+) (\S+)$/gm)].map(([, name, type]) => ({
      name,
      type,
    }));
    expect(types.length).toBeGreaterThan(20);
    expect(types.filter((t) => t.type !== 'counter' && t.name!.endsWith('_total'))).toEqual([]);
    expect(types.map((t) => t.name)).toContain('whereabouts_nodejs_active_handles');
  });

  // Debian's prometheus package provides promtool; .ci/install-system-deps installs it, so CI always runs this.
  const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;
  (promtool || process.env.CI ? test : test.skip)(
    'passes promtool check metrics with no lint warning',
    async () => {
      const run = spawnSync('promtool', ['check', 'metrics'], { input: await text(), encoding: 'utf8' });
      expect({ status: run.status, stdout: run.stdout, stderr: run.stderr }).toEqual({
        status: 0,
        stdout: '',
        stderr: '',
      });
    },
  );
});
