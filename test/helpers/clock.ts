/** A clock tests move by hand, shared by the simulator and the gateway's store. */
export class TestClock {
  constructor(private current = Date.parse('2026-06-01T12:00:00Z')) {}
  readonly now = (): number => this.current;
  advance(ms: number): void {
    this.current += ms;
  }
}
