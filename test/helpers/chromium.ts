/** Debian's chromium (`npm run deps:system` installs it); WHEREABOUTS_CHROMIUM overrides the path. */
export const CHROMIUM = process.env.WHEREABOUTS_CHROMIUM ?? '/usr/bin/chromium';

/** How the browser tests start it: headless, and making no request of its own to anywhere. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Where browser tests put the screenshots to be looked at (WHEREABOUTS_SHOTS overrides). */
export const SHOTS = process.env.WHEREABOUTS_SHOTS ?? '/tmp/dashboard-shots';
