import path from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { Simulator, SimulatorAddress } from '../../simulator';
import { createSimulator } from '../../simulator';

/** Default port of the simulator (the gateway's is 4000). */
export const DEFAULT_SIM_PORT = 4100;

/** What `startSimulation` needs. */
export interface SimulationOptions {
  readonly port: number;
  /** Where to write the gateway config YAML for the simulated feeds. */
  readonly configOut: string;
  readonly seed?: string;
  readonly latencyMs?: readonly [number, number];
  readonly driftIntervalMs?: number;
  /** N single-force feeds spread over the forces instead of the 41-feed layout (scale tests). */
  readonly sources?: number;
}

/** A running simulation: the simulator, where it listens, and the config file written for it. */
export interface Simulation {
  readonly sim: Simulator;
  readonly address: SimulatorAddress;
  readonly configFile: string;
}

/** Parses a TCP port (0 picks a free one). */
export function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535)
    throw new InvalidArgumentError('must be a whole number from 0 to 65535');
  return port;
}

/** Parses `MIN,MAX` milliseconds (or a single `N`, meaning exactly N). */
export function parseLatency(text: string): [number, number] {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length > 2 || parts.some((p) => !/^\d+$/.test(p))) {
    throw new InvalidArgumentError('must be MIN,MAX or one number, in whole milliseconds, e.g. 5,40 or 20');
  }
  const min = Number(parts[0]);
  const max = Number(parts[1] ?? parts[0]);
  if (max < min) throw new InvalidArgumentError('MAX must be at least MIN');
  return [min, max];
}

function parsePositiveInt(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) === 0)
    throw new InvalidArgumentError('must be a whole number above 0');
  return Number(text);
}

/**
 * Starts the simulator on 127.0.0.1 and writes the gateway config for it. Shared by `simulate` and
 * `demo`; the caller owns the lifecycle (close the simulator to stop).
 */
export async function startSimulation(options: SimulationOptions): Promise<Simulation> {
  const sim = createSimulator({
    seed: options.seed,
    latencyMs: options.latencyMs,
    driftIntervalMs: options.driftIntervalMs,
    ...(options.sources === undefined ? {} : { sources: options.sources }),
  });
  const address = await sim.listen(options.port);
  const configFile = path.resolve(options.configOut);
  try {
    sim.writeGatewayConfig(configFile, address.baseUrl);
  } catch (error) {
    await sim.close();
    throw error;
  }
  return { sim, address, configFile };
}

/** The lines printed when a simulation starts. */
export function describeSimulation({ sim, address, configFile }: Simulation): string {
  const forces = new Set(sim.feeds.flatMap((f) => (f.headline ? f.forces : [])));
  return [
    `SIMULATED force feeds on ${address.baseUrl} (${sim.feeds.length} feeds, ${forces.size} forces; every figure is made up)`,
    `Gateway config written to ${configFile}`,
    `Feeds and request counts: GET ${address.baseUrl}/_control/feeds`,
    `Faults: POST ${address.baseUrl}/_control/faults/<feedId> {"mode":"http500"} (DELETE to clear)`,
  ].join('\n');
}

/** `whereabouts simulate`: serves simulated force feeds until SIGTERM or SIGINT. */
export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description(
      'serve SIMULATED force feeds on 127.0.0.1 (every kind and shape, drifting figures, faults on demand) and write a gateway config for them',
    )
    .option('-p, --port <port>', 'port to listen on (0 picks a free one)', parsePort, DEFAULT_SIM_PORT)
    .requiredOption(
      '-o, --config-out <file>',
      'where to write the gateway config YAML (point WHEREABOUTS_CONFIG at it)',
    )
    .option('--seed <seed>', 'seed of the simulated figures (same seed, same figures)')
    .option(
      '--latency-ms <min[,max]>',
      'random delay before each feed response, in whole ms: MIN,MAX, or one number for both',
      parseLatency,
    )
    .option(
      '--drift-interval-ms <ms>',
      'figures drift once per this many ms (default 60000)',
      parsePositiveInt,
    )
    .option(
      '--sources <n>',
      'serve N single-force count feeds spread over the forces instead of the usual 41 feeds (scale tests)',
      parsePositiveInt,
    )
    .action(
      async (options: {
        port: number;
        configOut: string;
        seed?: string;
        latencyMs?: [number, number];
        driftIntervalMs?: number;
        sources?: number;
      }) => {
        const simulation = await startSimulation(options);
        process.stdout.write(`${describeSimulation(simulation)}\n`);
        process.stdout.write(
          `Run the gateway on it: WHEREABOUTS_CONFIG=${simulation.configFile} whereabouts serve\n`,
        );
        let stopping = false;
        const stop = () => {
          if (stopping) return;
          stopping = true;
          simulation.sim.close().finally(() => process.exit(0));
        };
        process.on('SIGTERM', stop);
        process.on('SIGINT', stop);
      },
    );
}
