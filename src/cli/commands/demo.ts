import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_PORT } from '../../config/environment';
import { serve } from '../../index';
import { DEFAULT_SIM_PORT, describeSimulation, parsePort, startSimulation } from './simulate';

/**
 * `whereabouts demo`: the simulator and the gateway in one process, the gateway reading every simulated
 * feed. The config goes to a temporary directory, removed when the process exits.
 */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run the gateway against SIMULATED force feeds (simulator and gateway in one process)')
    .option('-p, --port <port>', 'gateway port', parsePort, DEFAULT_PORT)
    .option('--sim-port <port>', 'simulator port (127.0.0.1 only)', parsePort, DEFAULT_SIM_PORT)
    .option('--seed <seed>', 'seed of the simulated figures')
    .action(async (options: { port: number; simPort: number; seed?: string }) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-demo-'));
      // serve() exits the process on SIGTERM/SIGINT and on bad config; the temp config goes with it.
      process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
      const simulation = await startSimulation({
        port: options.simPort,
        configOut: path.join(dir, 'simulated-sources.yaml'),
        seed: options.seed,
      });
      process.stdout.write(`${describeSimulation(simulation)}\n`);
      // The simulator must stop with the gateway: serve() drains the gateway on these signals, and the
      // process then ends once nothing is left running, which a live simulator would prevent.
      const stopSimulator = () => void simulation.sim.close();
      process.once('SIGTERM', stopSimulator);
      process.once('SIGINT', stopSimulator);
      await serve({ ...process.env, WHEREABOUTS_CONFIG: simulation.configFile, PORT: String(options.port) });
      process.stdout.write(
        `Demo running: gateway http://localhost:${options.port}/graphql reads the simulator at ${simulation.address.baseUrl}. Ctrl-C stops both.\n`,
      );
    });
}
