import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { ROOT, runCliToEnd } from './helpers/processes.js';

/**
 * There is no Docker engine here: the Dockerfile and docker-compose.yml are held to the CLI
 * instead. Every service of the workmesh image runs a real command with settings that command
 * reads, and the ports line up with the load balancer and the published ports.
 */

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  expose?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, unknown> | string[];
  container_name?: string;
  stdin_open?: boolean;
  tty?: boolean;
  profiles?: string[];
}

const compose = parse(readFileSync(`${ROOT}docker-compose.yml`, 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};
const services = compose.services;
const workmeshServices = Object.entries(services).filter(([, s]) => s.build !== undefined);

let commands: Set<string>;
/** Environment variables each command reads (from its --help). */
const settingsOf = new Map<string, Set<string>>();

before(async () => {
  const help = await runCliToEnd(['--help']);
  assert.equal(help.code, 0);
  const section = help.stdout.split('Commands:\n')[1]!.split('\n\n')[0]!;
  commands = new Set(section.split('\n').map((l) => l.trim().split(/\s+/)[0]!));
  await Promise.all(
    [...commands]
      .filter((c) => workmeshServices.some(([, s]) => s.command?.[0] === c))
      .map(async (c) => {
        const out = await runCliToEnd([c, '--help']);
        assert.equal(out.code, 0, out.stderr);
        settingsOf.set(c, new Set([...out.stdout.matchAll(/\[env ([A-Z_]+),/g)].map((m) => m[1]!)));
      }),
  );
});

function envPort(service: Service, name: string): string | undefined {
  return service.environment?.[name];
}

describe('docker-compose.yml', () => {
  it("has the seed's services: redis, api (behind a load balancer), node, sysmon, shell", () => {
    for (const name of ['redis', 'api', 'node', 'sysmon', 'shell', 'lb']) {
      assert.ok(services[name], `service ${name}`);
    }
  });

  it('every workmesh service runs a real role with settings that role reads', () => {
    assert.ok(workmeshServices.length >= 4);
    for (const [name, service] of workmeshServices) {
      const role = service.command?.[0];
      assert.ok(role, `${name}: no command`);
      assert.ok(commands.has(role), `${name}: ${role} is not a workmesh command`);
      const known = settingsOf.get(role)!;
      for (const variable of Object.keys(service.environment ?? {})) {
        assert.ok(known.has(variable), `${name}: workmesh ${role} does not read ${variable}`);
      }
      assert.equal(service.environment?.REDIS_URL, 'redis://redis:6379', `${name}: REDIS_URL`);
      assert.ok(service.environment?.WORKMESH_CLUSTER_SECRET, `${name}: cluster secret`);
      // Listening beyond loopback: tokens, never --insecure (the process would refuse to start).
      if (service.environment?.WORKMESH_HOST === '0.0.0.0') {
        assert.ok(service.environment.WORKMESH_API_TOKENS, `${name}: listens without tokens`);
        assert.ok(
          !service.environment.WORKMESH_INSECURE && !service.command?.includes('--insecure'),
        );
      }
    }
  });

  it('redis keeps its data: AOF on, noeviction, a volume, a health check', () => {
    const redis = services.redis!;
    const command = (redis.command ?? []).join(' ');
    assert.match(command, /--appendonly yes/);
    assert.match(command, /--maxmemory-policy noeviction/);
    assert.ok(redis.volumes?.some((v) => v.endsWith(':/data')));
    assert.ok(compose.volumes && 'redis-data' in compose.volumes);
    assert.ok(redis.healthcheck?.test.join(' ').includes('redis-cli ping'));
    for (const [name, service] of workmeshServices) {
      const deps = service.depends_on as Record<string, { condition: string }> | undefined;
      assert.equal(deps?.redis?.condition, 'service_healthy', `${name} waits for redis`);
    }
  });

  it('api and node scale: no container name, no fixed host port', () => {
    for (const name of ['api', 'node']) {
      const service = services[name]!;
      assert.equal(service.container_name, undefined, name);
      assert.equal(service.ports, undefined, `${name} publishes no host port`);
    }
  });

  it('the load balancer publishes 5983 and reaches the api replicas on their port', () => {
    const lb = services.lb!;
    assert.match(lb.image ?? '', /^(haproxy|nginx):/);
    assert.deepEqual(lb.ports, ['5983:5983']);
    const apiPort = envPort(services.api!, 'WORKMESH_API_PORT');
    assert.equal(apiPort, '5983');
    assert.deepEqual(services.api!.expose, [apiPort]);
    const mount = lb.volumes?.find((v) => v.startsWith('./deploy/haproxy.cfg:'));
    assert.ok(mount, 'haproxy.cfg mounted');
    const cfg = readFileSync(`${ROOT}deploy/haproxy.cfg`, 'utf8');
    assert.match(cfg, /^\s*bind :5983$/m);
    // Docker's DNS resolves every replica of `api`.
    assert.match(cfg, /nameserver \w+ 127\.0\.0\.11:53/);
    assert.match(cfg, new RegExp(`server-template api \\d+ api:${apiPort} check resolvers docker`));
    assert.match(cfg, /option httpchk GET \/readyz/);
    assert.ok(services.api!.healthcheck?.test.join(' ').includes(`:${apiPort}/readyz`));
  });

  it('sysmon serves the console on 5984; node exposes its metrics port and checks /readyz', () => {
    const sysmon = services.sysmon!;
    assert.equal(sysmon.command?.[0], 'sysmon');
    assert.equal(envPort(sysmon, 'WORKMESH_CONSOLE_PORT'), '5984');
    assert.deepEqual(sysmon.ports, ['5984:5984']);
    const node = services.node!;
    assert.equal(node.command?.[0], 'worker');
    assert.deepEqual(node.expose, [envPort(node, 'WORKMESH_METRICS_PORT')]);
    const metricsPort = envPort(node, 'WORKMESH_METRICS_PORT')!;
    assert.ok(node.healthcheck?.test.join(' ').includes(`:${metricsPort}/readyz`));
  });

  it('shell is interactive and only started by `docker compose run shell`', () => {
    const shell = services.shell!;
    assert.equal(shell.command?.[0], 'shell');
    assert.equal(shell.stdin_open, true);
    assert.equal(shell.tty, true);
    assert.ok(shell.profiles && shell.profiles.length > 0);
  });

  it('every variable the file interpolates is in .env.example', () => {
    const text = readFileSync(`${ROOT}docker-compose.yml`, 'utf8');
    const example = readFileSync(`${ROOT}.env.example`, 'utf8');
    const defined = new Set([...example.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]));
    const used = new Set([...text.matchAll(/\$\{([A-Z_]+)/g)].map((m) => m[1]));
    assert.ok(used.size > 0);
    for (const v of used) assert.ok(defined.has(v), `${v} missing from .env.example`);
  });
});

describe('Dockerfile', () => {
  const lines = readFileSync(`${ROOT}Dockerfile`, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const stages = lines.flatMap((l) => /^FROM\s+\S+\s+AS\s+(\S+)$/i.exec(l)?.[1] ?? []);
  const lastStage = lines.slice(lines.findLastIndex((l) => /^FROM\s/i.test(l)));

  it('is multi-stage, every stage named', () => {
    assert.ok(stages.length >= 2, 'at least two stages');
    assert.equal(lines.filter((l) => /^FROM\s/i.test(l)).length, stages.length);
    assert.ok(
      lastStage.some((l) => /^COPY --from=/.test(l)),
      'the last stage copies the build',
    );
  });

  it('runs as a non-root user, with workmesh as the entry point', () => {
    const user = lastStage.findLast((l) => /^USER\s/i.test(l));
    assert.ok(user, 'USER in the last stage');
    assert.doesNotMatch(user, /^USER\s+(root|0)(:|$)/i);
    const entry = lastStage.find((l) => /^ENTRYPOINT\s/i.test(l));
    assert.deepEqual(JSON.parse(entry!.replace(/^ENTRYPOINT\s+/i, '')), ['workmesh']);
    // `workmesh` resolves to the compiled CLI, and the build produces it.
    assert.ok(lastStage.some((l) => l.includes('dist/cli/main.js /usr/local/bin/workmesh')));
    const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as {
      bin: Record<string, string>;
    };
    assert.equal(pkg.bin.workmesh, 'dist/cli/main.js');
  });

  it('runs a Node line that package.json engines admits and .ci/run tests the suite on', () => {
    const majors = lines.flatMap((l) => /^FROM\s+node:(\d+)/i.exec(l)?.[1] ?? []).map(Number);
    assert.equal(majors.length, stages.length, 'every stage is an official node image');
    assert.equal(new Set(majors).size, 1, 'one Node line for build and runtime');
    const major = majors[0]!;
    const { engines } = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as {
      engines: { node: string };
    };
    // Clauses of the forms `^M[.m]` and `>=M`: enough for what engines says.
    const admitted = engines.node.split('||').some((clause) => {
      const [, op, m] = /^\s*(\^|>=)(\d+)/.exec(clause) ?? [];
      return op === '^' ? Number(m) === major : op === '>=' && Number(m) <= major;
    });
    assert.ok(admitted, `node:${major} within engines ${engines.node}`);
    assert.match(readFileSync(`${ROOT}.ci/run`, 'utf8'), new RegExp(`node@${major}\\b`));
  });

  it('exposes the ports the compose file uses', () => {
    const exposed = lines
      .filter((l) => /^EXPOSE\s/i.test(l))
      .flatMap((l) => l.split(/\s+/).slice(1));
    for (const port of ['5983', '5984', envPort(services.node!, 'WORKMESH_METRICS_PORT')!]) {
      assert.ok(exposed.includes(port), `EXPOSE ${port}`);
    }
  });
});
