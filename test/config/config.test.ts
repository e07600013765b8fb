// Config API: loading, expansion, typed getters, overrides, compatibility
// notices; plus a differential check of every expanded parameter value against
// real Postfix `postconf -x`.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { execFileSync } from 'node:child_process';
import {
  Config,
  ConfigError,
  OUTPOST_PARAMETERS,
  PARAM_MEANINGS,
  compatStartupNotices,
  POSTFIX_DEFAULTS,
  compatNotice,
  defaultsOnlyConfig,
  loadConfig,
  resolveConfigDir,
} from '../../src/config/index.js';
import { POSTCONF, hasPostfix, needPeer } from '../helpers/peers.js';
import { makeConfigDir, removeDirs } from './postconf-harness.js';
import { SOHO_MAIN_CF, STOCK_MASTER_CF } from './postconf-fixtures.js';

const created: string[] = [];
after(() => removeDirs(created));

function configFor(main: string): Config {
  return loadConfig(makeConfigDir({ main }, created));
}

function expectConfigError(fn: () => unknown, message: string, line?: number): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.equal(err.message, message);
    if (line !== undefined) assert.equal(err.line, line);
    return true;
  });
}

describe('resolveConfigDir', () => {
  test('-c wins, then MAIL_CONFIG, then /etc/postfix', () => {
    assert.equal(resolveConfigDir('/a', { MAIL_CONFIG: '/b' }), '/a');
    assert.equal(resolveConfigDir(undefined, { MAIL_CONFIG: '/b' }), '/b');
    assert.equal(resolveConfigDir(undefined, {}), '/etc/postfix');
    assert.equal(resolveConfigDir('', { MAIL_CONFIG: '' }), '/etc/postfix');
  });
});

describe('loadConfig errors', () => {
  test('missing main.cf', () => {
    const dir = makeConfigDir({ main: null }, created);
    expectConfigError(() => loadConfig(dir), `open ${dir}/main.cf: No such file or directory`);
  });
  test('missing directory', () => {
    expectConfigError(
      () => loadConfig('/nonexistent/outpost'),
      'open /nonexistent/outpost/main.cf: No such file or directory',
    );
  });
  test('line without = names file and first line of the entry', () => {
    const dir = makeConfigDir({ main: 'relayhost = a\n\n# c\nfoo bar\n  baz\n' }, created);
    expectConfigError(
      () => loadConfig(dir),
      `${dir}/main.cf, line 4: missing '=' after attribute name: "foo bar  baz"`,
      4,
    );
  });
  test('missing name', () => {
    const dir = makeConfigDir({ main: '  \n= x\n' }, created);
    expectConfigError(() => loadConfig(dir), `${dir}/main.cf, line 2: missing attribute name: "= x"`, 2);
  });
});

describe('main.cf values', () => {
  test('duplicates: last wins, with Postfix warning', () => {
    const c = configFor('relayhost = a\nrelayhost = b\n');
    assert.equal(c.get('relayhost'), 'b');
    assert.deepEqual(c.warnings, [`${c.configDir}/main.cf, line 2: overriding earlier entry: relayhost=a`]);
  });
  test('continuation keeps the text, # in values is data', () => {
    const c = configFor('mydestination = a,\n  # not here\n   b\nsmtpd_banner = hi # there\n');
    assert.equal(c.raw('mydestination'), 'a,   b');
    assert.deepEqual(c.list('mydestination'), ['a', 'b']);
    assert.equal(c.get('smtpd_banner'), 'hi # there');
  });
  test('raw, isSet, get of unknown names', () => {
    const c = configFor('my_thing = $myhostname!\nmyhostname = h.example\n');
    assert.equal(c.raw('my_thing'), '$myhostname!');
    assert.equal(c.get('my_thing'), 'h.example!');
    assert.equal(c.isSet('my_thing'), true);
    assert.equal(c.isSet('relayhost'), false);
    assert.equal(c.raw('no_such_thing'), undefined);
    assert.equal(c.get('no_such_thing'), '');
    assert.equal(c.raw('smtpd_banner'), '$myhostname ESMTP $mail_name');
    assert.equal(c.get('smtpd_banner'), 'h.example ESMTP Postfix');
  });
  test('spec banner example', () => {
    const c = configFor(
      'myhostname = host.example.com\nrelayhost = [mail.isp.example]:submission\n' +
        'smtpd_banner = $myhostname ${relayhost?{relay=$relayhost}:{norelay}} ${nosuch:fb} ${relayhost:unused} ${relayhost?set} $$literal ${{$compatibility_level} <level {3.6} ? {old} : {new}}\n',
    );
    assert.equal(
      c.get('smtpd_banner'),
      'host.example.com relay=[mail.isp.example]:submission fb  set $literal old',
    );
  });
  test('recursion loop is an error with Postfix wording', () => {
    const c = configFor('a1 = $a2\na2 = $a1\n');
    expectConfigError(() => c.get('a1'), 'unreasonable macro call nesting: "a1"', 1);
  });
  test('syntax errors in values', () => {
    const c = configFor('a1 = x ${y\na2 = $\n');
    expectConfigError(() => c.get('a1'), 'truncated macro reference: "x ${y"');
    expectConfigError(() => c.get('a2'), 'empty macro name: "$"');
  });
  test('values are decoded as UTF-8', () => {
    const dir = makeConfigDir(
      { main: 'smtpd_banner = h\u00c3\u00a9llo $myhostname\nmyhostname = h.example\n' },
      created,
    );
    assert.equal(loadConfig(dir).get('smtpd_banner'), 'h\u00e9llo h.example');
  });
  test('raw parameters are returned unexpanded', () => {
    const c = configFor('forward_path = $home/.forward\n');
    assert.equal(c.get('forward_path'), '$home/.forward');
  });
  test('compatibility-level dependent defaults', () => {
    assert.equal(configFor('').get('relay_domains'), configFor('').get('mydestination'));
    assert.equal(configFor('compatibility_level = 3.7\n').get('relay_domains'), '');
    assert.equal(
      configFor('compatibility_level = 3.7\n').get('smtpd_relay_restrictions'),
      'permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination',
    );
  });
});

describe('typed getters', () => {
  test('bool', () => {
    const c = configFor('smtp_sasl_auth_enable = YES\nsmtpd_tls_auth_only = maybe\n');
    assert.equal(c.bool('smtp_sasl_auth_enable'), true);
    assert.equal(c.bool('append_at_myorigin'), true);
    expectConfigError(
      () => c.bool('smtpd_tls_auth_only'),
      'bad boolean configuration: smtpd_tls_auth_only = maybe',
    );
  });
  test('int', () => {
    const c = configFor('default_process_limit = 50\nsmtp_mx_address_limit = 5x\n');
    assert.equal(c.int('default_process_limit'), 50);
    assert.equal(c.int('default_destination_concurrency_limit'), 20);
    expectConfigError(
      () => c.int('smtp_mx_address_limit'),
      'bad numerical configuration: smtp_mx_address_limit = 5x',
    );
  });
  test('time with per-parameter default unit', () => {
    const c = configFor(
      'maximal_queue_lifetime = 3\nbounce_queue_lifetime = 2h\nminimal_backoff_time = 120\n' +
        'address_verify_cache_cleanup_interval = 2\nqueue_run_delay = 5m\nsmtp_connect_timeout = 1w\nmaximal_backoff_time = -1\n',
    );
    assert.equal(c.time('maximal_queue_lifetime'), 3 * 86400);
    assert.equal(c.time('bounce_queue_lifetime'), 7200);
    assert.equal(c.time('minimal_backoff_time'), 120);
    assert.equal(c.time('address_verify_cache_cleanup_interval'), 2 * 3600);
    assert.equal(c.time('queue_run_delay'), 300);
    assert.equal(c.time('smtp_connect_timeout'), 604800);
    assert.equal(defaultsOnlyConfig('/etc/postfix').time('maximal_queue_lifetime'), 5 * 86400);
    assert.equal(defaultsOnlyConfig('/etc/postfix').time('smtpd_timeout'), 300);
    expectConfigError(
      () => c.time('maximal_backoff_time'),
      'parameter maximal_backoff_time: bad time value or unit: -1',
    );
  });
  test('size', () => {
    const c = configFor('message_size_limit = 52428800000\nmailbox_size_limit = big\n');
    assert.equal(c.size('message_size_limit'), 52428800000);
    assert.equal(defaultsOnlyConfig('/x').size('message_size_limit'), 10240000);
    expectConfigError(
      () => c.size('mailbox_size_limit'),
      'bad numerical configuration: mailbox_size_limit = big',
    );
  });
  test('list keeps {} groups and type:{} tables together', () => {
    const c = configFor(
      'smtp_generic_maps = hash:/etc/postfix/generic,inline:{ a@x=b@y, { c@x = d e } }  regexp:{ {/^x/ y} }\n' +
        'mynetworks = 127.0.0.0/8,  [::1]/128\t192.168.1.0/28\n',
    );
    assert.deepEqual(c.list('smtp_generic_maps'), [
      'hash:/etc/postfix/generic',
      'inline:{ a@x=b@y, { c@x = d e } }',
      'regexp:{ {/^x/ y} }',
    ]);
    assert.deepEqual(c.list('mynetworks'), ['127.0.0.0/8', '[::1]/128', '192.168.1.0/28']);
    assert.deepEqual(c.list('relayhost'), []);
  });
});

describe('Outpost parameters', () => {
  test('have defaults, types and units', () => {
    const c = configFor('outpost_sasl_password_maps = /etc/outpost/a, texthash:/etc/outpost/b\n');
    assert.equal(c.time('outpost_shutdown_timeout'), 10);
    assert.equal(c.get('outpost_mail_home_directory'), '');
    assert.deepEqual(c.list('outpost_sasl_password_maps'), ['/etc/outpost/a', 'texthash:/etc/outpost/b']);
  });
});

describe('per-transport parameters', () => {
  test('default to the general parameter, with its unit', () => {
    const c = configFor(
      'default_destination_concurrency_limit = 7\nrelay_destination_rate_delay = 2\nlocal_destination_recipient_limit = 3\n',
    );
    assert.equal(c.int('relay_destination_concurrency_limit'), 7);
    assert.equal(c.raw('smtp_destination_concurrency_limit'), '$default_destination_concurrency_limit');
    assert.equal(c.time('relay_destination_rate_delay'), 2);
    assert.equal(c.time('mypipe_time_limit'), 1000);
    assert.equal(c.int('local_destination_concurrency_limit'), 2, 'built-in default wins');
    assert.equal(c.int('local_destination_recipient_limit'), 3);
  });
});

describe('overrides (master.cf -o)', () => {
  test('override values replace main.cf and are $-expanded', () => {
    const c = configFor('syslog_name = postfix\nmyhostname = h.example\n');
    const sub = c.withOverrides({
      syslog_name: 'postfix/submission',
      smtpd_banner: '$myhostname sub',
      my_x: '1',
    });
    assert.equal(sub.get('syslog_name'), 'postfix/submission');
    assert.equal(sub.get('smtpd_banner'), 'h.example sub');
    assert.equal(sub.isSet('my_x'), true);
    assert.equal(c.get('syslog_name'), 'postfix', 'the original is unchanged');
    const viaLoad = loadConfig(c.configDir, { overrides: { myhostname: 'o.example' } });
    assert.equal(viaLoad.get('smtpd_banner'), 'o.example ESMTP Postfix');
  });
  test('main.cf values see overridden parameters', () => {
    const c = configFor('smtpd_banner = $syslog_name ready\n');
    assert.equal(
      c.withOverrides({ syslog_name: 'postfix/submissions' }).get('smtpd_banner'),
      'postfix/submissions ready',
    );
  });
});

describe('compatibility notices', () => {
  test('level 0 with nothing set', () => {
    const breaks = configFor('').compatBreaks();
    for (const b of [
      'relay_domains',
      'mynetworks_style',
      'append_dot_mydomain',
      'smtputf8_enable',
      'chroot',
      'smtpd_relay_restrictions',
      'smtp_tls_fingerprint_digest',
    ] as const) {
      assert.ok(breaks.has(b), b);
    }
  });
  test('explicit settings and level 3.7 silence them', () => {
    assert.equal(configFor('compatibility_level = 3.7\n').compatBreaks().size, 0);
    const b = configFor('compatibility_level = 2\nrelay_domains = x\n').compatBreaks();
    assert.ok(!b.has('relay_domains'));
    assert.ok(b.has('respectful_logging'));
    assert.ok(!b.has('chroot'));
  });
  test('postfix start notices below level 3.6', () => {
    assert.deepEqual(compatStartupNotices(configFor('compatibility_level = 3.6\n')), []);
    assert.deepEqual(compatStartupNotices(configFor('compatibility_level = 2\n')), [
      'Postfix is using backwards-compatible default settings',
      'See http://www.postfix.org/COMPATIBILITY_README.html for details',
      'To disable backwards compatibility use "postconf compatibility_level=3.6" and "postfix reload"',
    ]);
  });
  test('malformed level', () => {
    expectConfigError(
      () => configFor('compatibility_level = x\n').compatLevel(),
      'malformed compatibility level syntax: "x"',
    );
  });
  test('message wording', () => {
    assert.equal(
      compatNotice.relayDomainsAcceptDomain('example.com'),
      'using backwards-compatible default setting relay_domains=$mydestination to accept mail for domain "example.com"',
    );
    assert.equal(
      compatNotice.masterChroot('/etc/postfix/master.cf', 12),
      '/etc/postfix/master.cf: line 12: using backwards-compatible default setting chroot=y',
    );
  });
});

describe('parameter registry', () => {
  test('every documented meaning names a known parameter', () => {
    for (const name of Object.keys(PARAM_MEANINGS)) {
      assert.ok(POSTFIX_DEFAULTS[name] !== undefined || OUTPOST_PARAMETERS[name] !== undefined, name);
    }
    assert.ok(Object.keys(PARAM_MEANINGS).length >= 80);
  });
  test('defaults match the spec samples', () => {
    assert.equal(POSTFIX_DEFAULTS.message_size_limit?.[0], '10240000');
    assert.equal(POSTFIX_DEFAULTS.smtp_sasl_security_options?.[0], 'noplaintext, noanonymous');
    assert.deepEqual(POSTFIX_DEFAULTS.maximal_queue_lifetime, ['5d', 'time', 'd']);
    assert.equal(defaultsOnlyConfig('/x').get('mail_version').startsWith('3.7-outpost-'), true);
  });
});

describe('generated defaults against real postconf -d', () => {
  test('every built-in default matches the installed Postfix', (t) => {
    if (!needPeer(t, 'postfix', hasPostfix())) return;
    const dir = makeConfigDir({ main: '', master: '' }, created);
    const out = execFileSync(POSTCONF, ['-c', dir, '-d'], {
      encoding: 'latin1',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const hostDerived = new Set(['myhostname', 'mydomain', 'mynetworks', 'process_id', 'mail_version']);
    let count = 0;
    for (const line of out.split('\n')) {
      const m = /^(\S+) =(?: (.*))?$/.exec(line);
      if (m === null || hostDerived.has(m[1] as string)) continue;
      assert.equal(POSTFIX_DEFAULTS[m[1] as string]?.[0], m[2] ?? '', m[1]);
      count++;
    }
    assert.equal(count, Object.keys(POSTFIX_DEFAULTS).length - hostDerived.size);
  });
});

describe('Config.get against real postconf -x', () => {
  const postfixPresent = hasPostfix();
  for (const [label, main] of [
    ['empty main.cf', ''],
    ['SOHO main.cf', SOHO_MAIN_CF],
    ['compatibility_level 3.7 with mydomain only', 'compatibility_level = 3.7\nmydomain = example.org\n'],
  ] as const) {
    test(label, (t) => {
      if (!needPeer(t, 'postfix', postfixPresent)) return;
      const dir = makeConfigDir({ main, master: STOCK_MASTER_CF }, created);
      const out = execFileSync(POSTCONF, ['-c', dir, '-x'], {
        encoding: 'latin1',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      const c = loadConfig(dir);
      let compared = 0;
      for (const line of out.split('\n')) {
        const m = /^(\S+) =(?: (.*))?$/.exec(line);
        if (m === null) continue;
        const name = m[1] as string;
        if (['process_id', 'process_name', 'mail_version', 'milter_macro_v', 'service_name'].includes(name))
          continue;
        if (POSTFIX_DEFAULTS[name] === undefined && !c.isSet(name)) continue; // per-service names
        // postconf prints values with single spaces between words.
        const ours = c
          .get(name)
          .split(/[ \t\r\n]+/)
          .filter(Boolean)
          .join(' ');
        assert.equal(ours, m[2] ?? '', name);
        compared++;
      }
      assert.ok(compared > 800, `compared ${compared}`);
    });
  }
});
