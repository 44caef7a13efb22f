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
