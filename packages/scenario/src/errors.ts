// Small error classes with codes (as vitest does): what went wrong in a scenario, named.

/** A scenario used the API wrongly (a bad address, a missing cgroup…): exit code 2. */
export class ScenarioError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ScenarioError';
  }
}

/** An expectation did not hold: exit code 1. */
export class ExpectationFailed extends Error {
  readonly code = 'E_EXPECT';
  constructor(
    readonly step: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`${step}: expected ${expected}, got ${actual}`);
    this.name = 'ExpectationFailed';
  }
}
