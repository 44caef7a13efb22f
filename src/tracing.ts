import type { Span, Tracer } from '@opentelemetry/api';
import { PACKAGE_JSON } from './paths';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace';

// Only @opentelemetry/api (small) is loaded at start. The SDK, the OTLP exporter and their dependencies
// (some 300 modules: several MB of heap and RSS) are required in createTracing, when tracing is on.
/* eslint-disable @typescript-eslint/no-require-imports -- lazy loading, on purpose */
const otlpExporter = (): typeof import('@opentelemetry/exporter-trace-otlp-http') =>
  require('@opentelemetry/exporter-trace-otlp-http');
const otelResources = (): typeof import('@opentelemetry/resources') => require('@opentelemetry/resources');
const traceSdk = (): typeof import('@opentelemetry/sdk-trace') => require('@opentelemetry/sdk-trace');
const semconv = (): typeof import('@opentelemetry/semantic-conventions') =>
  require('@opentelemetry/semantic-conventions');
/* eslint-enable @typescript-eslint/no-require-imports */

export { SpanKind, SpanStatusCode };
export type { Span, Tracer };

/** The gateway's tracing: a tracer that is a no-op unless tracing is switched on. */
export interface Tracing {
  readonly enabled: boolean;
  readonly tracer: Tracer;
  /** Exports what is buffered (tests, shutdown). */
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** Whether, and where, spans are sent (from the environment: `tracingSettingsFromEnv`). */
export interface TracingSettings {
  readonly enabled: boolean;
  /** The OTLP/HTTP traces URL. */
  readonly tracesUrl: string;
  readonly serviceName: string;
}

/** The tracing settings the OpenTelemetry variables give (see `tracingEnabled`, `otlpTracesUrl`). */
export function tracingSettingsFromEnv(env: NodeJS.ProcessEnv): TracingSettings {
  return {
    enabled: tracingEnabled(env),
    tracesUrl: otlpTracesUrl(env),
    serviceName: env.OTEL_SERVICE_NAME ?? 'whereabouts',
  };
}

/** Tracing is on with `OTEL_TRACES_EXPORTER=otlp` or `WHEREABOUTS_TRACING=on`. */
export function tracingEnabled(env: NodeJS.ProcessEnv): boolean {
  return (
    (env.OTEL_TRACES_EXPORTER ?? '').split(',').some((e) => e.trim() === 'otlp') ||
    env.WHEREABOUTS_TRACING === 'on'
  );
}

/** The OTLP/HTTP traces URL: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, else `OTEL_EXPORTER_OTLP_ENDPOINT` + /v1/traces. */
export function otlpTracesUrl(env: NodeJS.ProcessEnv): string {
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://localhost:4318';
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}

const NOOP: Tracing = {
  enabled: false,
  // No SDK is registered globally, so this tracer makes non-recording spans.
  tracer: trace.getTracer('whereabouts'),
  forceFlush: async () => undefined,
  shutdown: async () => undefined,
};

/**
 * Creates the tracing of one app: off (a no-op tracer) unless the settings switch it on. The provider is
 * not registered globally (two apps in one test process keep their own); spans go to the OTLP/HTTP
 * exporter in batches, or to `exporter` (tests) one by one.
 */
export function createTracing(settings: TracingSettings, options: { exporter?: SpanExporter } = {}): Tracing {
  if (!settings.enabled) return NOOP;
  const { BatchSpanProcessor, SimpleSpanProcessor, TracerProvider } = traceSdk();
  const { resourceFromAttributes } = otelResources();
  const { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } = semconv();
  const processor = options.exporter
    ? new SimpleSpanProcessor({ exporter: options.exporter })
    : new BatchSpanProcessor({
        exporter: new (otlpExporter().OTLPTraceExporter)({ url: settings.tracesUrl }),
      });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: settings.serviceName,
      [ATTR_SERVICE_VERSION]: PACKAGE_JSON.version,
    }),
    spanProcessors: [processor],
  });
  let down: Promise<void> | null = null;
  return {
    enabled: true,
    tracer: provider.getTracer('whereabouts'),
    forceFlush: () => provider.forceFlush(),
    shutdown: () => (down ??= provider.shutdown().catch(() => undefined)),
  };
}

/** Runs `fn` in a span that ends when it settles; a thrown error marks the span as failed. */
export async function inSpan<T>(
  tracer: Tracer,
  name: string,
  attributes: Record<string, string | number | boolean>,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const span = tracer.startSpan(name, { attributes });
  try {
    return await fn(span);
  } catch (error) {
    // The code only: messages of source errors may hold internal detail.
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: String((error as { code?: string })?.code ?? 'error'),
    });
    throw error;
  } finally {
    span.end();
  }
}
