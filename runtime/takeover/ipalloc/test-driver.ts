// The contract of CTDB's `ctdb_takeover_tests ipalloc STATES [multi]`, so that CTDB's
// UNIT/takeover case files can drive our allocator unchanged:
//
//   STATES   comma-separated node flags, one per node (decimal, 0x hex or 0 octal)
//   stdin    lines "IP CURRENT_PNN [ALLOWED,PNN,LIST]"; without the list every node knows
//            the address. The input ends at the first empty line. With `multi`, stdin holds one
//            block per node (that node's own view), blocks separated by an empty line, and
//            allowed lists are not accepted.
//   env      CTDB_IP_ALGORITHM=det|nondet|lcp2 (default lcp2), CTDB_SET_NoIPTakeover=N,
//            CTDB_TEST_RUNSTATE=R,R,… (or "1" for every node), CTDB_TEST_LOGLEVEL (default DEBUG)
//            Ours in addition: CTDB_SET_NoIPFailback=N and CTDB_TEST_FORCE_REBALANCE=PNN,…
//   output   log lines on stderr (bare text), then "IP PNN" per address on stdout in CTDB's
//            list order, -1 for unassigned; exit 0.
//
// Unlike CTDB's program, which skips or misreads bad lines, a bad line is an error naming
// the stdin line (exit 1).

import { Runstate, parseDebugLevel } from '../../protocol/constants.js';
import { parseIpAddress, type IpAddress } from './address.js';
import { IpallocAddressError, IpallocError, IpallocTestInputError } from './errors.js';
import { ipalloc } from './index.js';
import { DebugLevel } from './log.js';
import {
  IpallocAlgorithm,
  type IpallocAlgorithmId,
  type IpallocNode,
  type KnownIp,
} from './types.js';

export interface DriverOutput {
  readonly stdout: string;
  readonly stderr: string;
  readonly status: number;
}

const USAGE = 'usage: ctdb_takeover_tests <op>\n';

const ALGORITHMS = new Map<string, IpallocAlgorithmId>([
  ['det', IpallocAlgorithm.DETERMINISTIC],
  ['nondet', IpallocAlgorithm.NONDETERMINISTIC],
  ['lcp2', IpallocAlgorithm.LCP2],
]);

/** strtol(…, 0) digits: 0x hex, leading-0 octal, or decimal; the whole token must be a number. */
function parseCInteger(token: string, source: string, line = 0): number {
  const t = token.trim();
  let value: number;
  if (/^0x[0-9a-f]+$/i.test(t)) value = Number.parseInt(t.slice(2), 16);
  else if (/^0[0-7]*$/.test(t)) value = Number.parseInt(t, 8);
  else if (/^[1-9][0-9]*$/.test(t)) value = Number.parseInt(t, 10);
  else throw new IpallocTestInputError(`'${token}' is not a number`, source, line);
  return value;
}

function parseStates(text: string): number[] {
  const tokens = text.split(',');
  return tokens.map((token, i) => {
    if (token === '') {
      throw new IpallocTestInputError(`empty value for node ${i}`, 'node states');
    }
    return parseCInteger(token, 'node states');
  });
}

/** Per-node values from a comma list, or the same value for all nodes from "1". */
function perNodeValues(name: string, text: string, numNodes: number): number[] {
  if (text === '1') return new Array<number>(numNodes).fill(1);
  const values = text.split(',').map((t) => parseCInteger(t, name));
  if (values.length !== numNodes) {
    throw new IpallocTestInputError(
      `wrong number of values (${values.length}, expected ${numNodes})`,
      name,
    );
  }
  return values;
}

interface InputLine {
  readonly lineNo: number;
  readonly address: IpAddress;
  readonly pnn: number;
  readonly allowed: readonly number[] | undefined;
}

/** Reads one "IP CURRENT_PNN [ALLOWED,…]" line. */
function parseLine(text: string, lineNo: number, numNodes: number, multi: boolean): InputLine {
  const tokens = text.split(/[ \t]+/).filter((t) => t !== '');
  if (tokens.length === 0) {
    throw new IpallocTestInputError(
      'blank line with spaces (a separator must be empty)',
      'stdin',
      lineNo,
    );
  }
  if (tokens.length > 3) {
    throw new IpallocTestInputError(
      `too many fields (${tokens.length}), expected "IP CURRENT_PNN [ALLOWED,PNN,LIST]"`,
      'stdin',
      lineNo,
    );
  }
  let address: IpAddress;
  try {
    address = parseIpAddress(tokens[0]!);
  } catch (err) {
    if (err instanceof IpallocAddressError) {
      throw new IpallocTestInputError(err.message, 'stdin', lineNo);
    }
    throw err;
  }
  let pnn = -1;
  if (tokens[1] !== undefined) {
    if (!/^(-1|0|[1-9][0-9]*)$/.test(tokens[1])) {
      throw new IpallocTestInputError(
        `bad current PNN '${tokens[1]}' (a node number or -1)`,
        'stdin',
        lineNo,
      );
    }
    pnn = Number(tokens[1]);
  }
  let allowed: number[] | undefined;
  if (tokens[2] !== undefined) {
    if (multi) {
      throw new IpallocTestInputError(
        'allowed-node lists are not accepted in multi mode',
        'stdin',
        lineNo,
      );
    }
    allowed = tokens[2].split(',').map((t) => {
      if (!/^(0|[1-9][0-9]*)$/.test(t) || Number(t) >= numNodes) {
        throw new IpallocTestInputError(
          `bad allowed node '${t}' (there are ${numNodes} nodes)`,
          'stdin',
          lineNo,
        );
      }
      return Number(t);
    });
  }
  return { lineNo, address, pnn, allowed };
}

/** The known list of every node, from stdin. */
function readKnown(stdin: string, numNodes: number, multi: boolean): KnownIp[][] {
  const lines = stdin.split('\n');
  // A final newline does not start another line.
  if (lines.at(-1) === '') lines.pop();
  const known: KnownIp[][] = Array.from({ length: numNodes }, () => []);
  let index = 0;
  /** Lines up to the next empty line (consumed) or the end. */
  const block = (): InputLine[] => {
    const out: InputLine[] = [];
    while (index < lines.length) {
      const text = lines[index]!;
      index++;
      if (text === '') break;
      out.push(parseLine(text, index, numNodes, multi));
    }
    return out;
  };
  if (!multi) {
    for (const line of block()) {
      const holders = line.allowed ?? Array.from({ length: numNodes }, (_, n) => n);
      for (const n of holders) known[n]!.push({ address: line.address, pnn: line.pnn });
    }
  } else {
    for (let n = 0; n < numNodes; n++) {
      known[n] = block().map((line) => ({ address: line.address, pnn: line.pnn }));
    }
  }
  // CTDB stops reading here and ignores the rest; data it would ignore is a mistake.
  const rest = lines.slice(index).findIndex((l) => l !== '');
  if (rest >= 0) {
    throw new IpallocTestInputError(
      multi
        ? `more blocks than nodes (${numNodes})`
        : 'data after the empty line that ends the input (one block per node needs "multi")',
      'stdin',
      index + rest + 1,
    );
  }
  return known;
}

function logLevelFrom(env: Readonly<Record<string, string | undefined>>): number {
  const text = env.CTDB_TEST_LOGLEVEL;
  if (text === undefined) return DebugLevel.DEBUG;
  // CTDB matches an empty name against the first level, ERROR.
  if (text === '') return DebugLevel.ERROR;
  const level = parseDebugLevel(text);
  if (level === undefined) {
    throw new IpallocTestInputError(`unknown debug level '${text}'`, 'CTDB_TEST_LOGLEVEL');
  }
  return level;
}

function run(
  states: string,
  multi: boolean,
  env: Readonly<Record<string, string | undefined>>,
  stdin: string,
): DriverOutput {
  const flags = parseStates(states);
  const numNodes = flags.length;
  const algorithmName = env.CTDB_IP_ALGORITHM ?? 'lcp2';
  const algorithm = ALGORITHMS.get(algorithmName);
  if (algorithm === undefined) {
    return { stdout: '', stderr: `ERROR: unknown IP algorithm ${algorithmName}\n`, status: 1 };
  }
  const flag = (name: string): boolean => {
    const text = env[name];
    return text !== undefined && parseCInteger(text, name) !== 0;
  };
  const runstateText = env.CTDB_TEST_RUNSTATE;
  const runstates =
    runstateText === undefined
      ? new Array<number>(numNodes).fill(Runstate.RUNNING)
      : perNodeValues('CTDB_TEST_RUNSTATE', runstateText, numNodes);
  const forceText = env.CTDB_TEST_FORCE_REBALANCE;
  const forceRebalance =
    forceText === undefined || forceText === ''
      ? []
      : forceText.split(',').map((t) => parseCInteger(t, 'CTDB_TEST_FORCE_REBALANCE'));
  const logLevel = logLevelFrom(env);
  const known = readKnown(stdin, numNodes, multi);

  const nodes: IpallocNode[] = flags.map((f, n) => ({
    flags: f,
    runstate: runstates[n]!,
    known: known[n]!,
  }));
  const result = ipalloc(
    {
      nodes,
      tunables: {
        algorithm,
        noIpTakeover: flag('CTDB_SET_NoIPTakeover'),
        noIpFailback: flag('CTDB_SET_NoIPFailback'),
      },
      forceRebalance,
    },
    { logLevel },
  );
  return {
    stdout: result.ips.map((ip) => `${ip.address.text} ${ip.pnn}\n`).join(''),
    stderr: result.log.map((l) => `${l.text}\n`).join(''),
    status: 0,
  };
}

/** Runs the test program on the given arguments (without the program name). */
export function runTakeoverTests(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  stdin: string,
): DriverOutput {
  const [op, states, mode] = args;
  const multi = args.length === 3 && mode === 'multi';
  if (op !== 'ipalloc' || states === undefined || (args.length !== 2 && !multi)) {
    return { stdout: '', stderr: USAGE, status: 1 };
  }
  try {
    return run(states, multi, env, stdin);
  } catch (err) {
    if (err instanceof IpallocError) {
      return { stdout: '', stderr: `ctdb_takeover_tests: ${err.message}\n`, status: 1 };
    }
    throw err;
  }
}
