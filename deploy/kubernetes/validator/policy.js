// vfiokit's own rules for its DaemonSet (a structural check of the fields used,
// not a schema): the host is mounted read-only, nothing privileged, no host
// namespaces, every capability dropped, no service account token.
'use strict';
const fs = require('fs');
const yaml = require('js-yaml');
const bad = [];
const check = (ok, what) => { if (!ok) bad.push(what); };
for (const doc of yaml.loadAll(fs.readFileSync(process.argv[2], 'utf8'))) {
  if (!doc || doc.kind !== 'DaemonSet') continue;
  const pod = doc.spec.template.spec;
  check(!pod.hostPID && !pod.hostNetwork && !pod.hostIPC, 'no host PID/network/IPC namespace');
  check(pod.automountServiceAccountToken === false, 'automountServiceAccountToken: false');
  const hostVolumes = new Map(
    (pod.volumes || []).filter((v) => v.hostPath).map((v) => [v.name, v.hostPath.path]));
  const writable = new Set(['/etc/kubernetes/node-feature-discovery/features.d',
                            '/var/lib/node_exporter/textfile_collector']);
  for (const c of pod.containers.concat(pod.initContainers || [])) {
    const sc = c.securityContext || {};
    check(sc.privileged !== true, `${c.name}: not privileged`);
    check(sc.allowPrivilegeEscalation === false, `${c.name}: allowPrivilegeEscalation false`);
    check(sc.readOnlyRootFilesystem === true, `${c.name}: readOnlyRootFilesystem`);
    check(sc.capabilities && JSON.stringify(sc.capabilities.drop) === '["ALL"]' &&
          !(sc.capabilities.add || []).length, `${c.name}: drops ALL capabilities, adds none`);
    for (const m of c.volumeMounts || []) {
      const host = hostVolumes.get(m.name);
      if (host === undefined) continue;
      check(m.readOnly === true || writable.has(host),
            `${c.name}: hostPath ${host} mounted read-only (only the two output directories are writable)`);
    }
  }
  check(hostVolumes.size > 0, 'the DaemonSet has its hostPath volumes');
}
if (bad.length) {
  console.log('FAIL policy: ' + bad.join('; '));
  process.exit(1);
}
console.log('ok   policy: read-only host mounts, no privilege, no capability, no token');
