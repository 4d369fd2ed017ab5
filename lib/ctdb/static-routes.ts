// The `$CTDB_BASE/static-routes` file of 11.routing: `IFACE NET/MASK GATEWAY` per line.
import { ConfigFileError } from '../errors/index.js';
import { ipFamily, parsePrefix } from '../net/ip.js';

export interface StaticRoute {
  readonly iface: string;
  readonly destination: string;
  readonly gateway: string;
  readonly line: number;
}

export interface StaticRoutesParse {
  readonly routes: StaticRoute[];
  /** Lines that could not be understood (CTDB tries them and fails quietly; we say why). */
  readonly errors: ConfigFileError[];
}

export function parseStaticRoutes(text: string, file: string): StaticRoutesParse {
  const routes: StaticRoute[] = [];
  const errors: ConfigFileError[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const t = raw.trim();
    if (t === '' || t.startsWith('#')) return;
    const [iface = '', destination = '', gateway = ''] = t.split(/\s+/);
    try {
      parsePrefix(destination);
    } catch {
      errors.push(new ConfigFileError(file, line, `'${destination}' is not NET/MASK`));
      return;
    }
    if (ipFamily(gateway) === undefined) {
      errors.push(new ConfigFileError(file, line, `'${gateway}' is not a gateway address`));
      return;
    }
    routes.push({ iface, destination, gateway, line });
  });
  return { routes, errors };
}
