// postmap's incremental updates (-i) and deletes (-d) compared with the real /usr/sbin/postmap.
import { test } from 'node:test';
import { hasPostfix, needPeer } from '../helpers/peers.js';
import { postmapPair } from './postmap-pair.js';

const SOURCE = 'dup first\nDUP second\nUser@Example.COM alice\nlast final\nkeyonly\n';

const pair = postmapPair('postmap-update', SOURCE);
const { real, ours, same } = pair;

test('-i adds stdin entries (with duplicate warnings); -d and -d - delete; exit codes', (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  for (const type of ['hash', 'lmdb']) {
    real([`${type}:src`]);
    ours([`${type}:src`]);
    same(['-i', `${type}:src`], 'New value\ndup other\nbroken\n');
    same(['-q', '-', `${type}:src`], 'new\ndup\nlast\n');
    same(['-d', 'last', `${type}:src`]);
    same(['-d', 'last', `${type}:src`]);
    same(['-d', '-', `${type}:src`], 'new\nnothing\n');
    same(['-q', '-', `${type}:src`], 'new\ndup\nlast\nuser@example.com\n');
  }
  // -i creates a missing database.
  same(['-i', 'lmdb:fresh'], 'a 1\n');
  same(['-q', 'a', 'lmdb:fresh']);
  // cdb cannot be updated in place.
  real(['cdb:src']);
  ours(['cdb:src']);
  same(['-d', 'dup', 'cdb:src']);
  same(['-i', 'cdb:src'], 'x y\n');
});
