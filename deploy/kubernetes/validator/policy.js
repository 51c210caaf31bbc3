// vfiokit's own rules for its DaemonSet (a structural check of the fields used,
// not a schema): the host is mounted read-only and without /dev, nothing privileged,
// no host namespaces, every capability dropped, seccomp on, no service account token,
// root only with a stated reason, the image pinned by digest.
// Usage: node policy.js MANIFEST  (exit 1 naming every broken rule)
'use strict';
const fs = require('fs');
const yaml = require('js-yaml');
const bad = [];
const check = (ok, what) => { if (!ok) bad.push(what); };
// Pod-template annotations that carry a decision a reviewer must be able to read.
const ROOT_REASON = 'vfiokit.io/runs-as-root';
const UNPINNED_REASON = 'vfiokit.io/image-unpinned';
const reason = (annotations, key) =>
  typeof (annotations || {})[key] === 'string' && annotations[key].trim().length > 0;
// A hostPath that is, or holds, device nodes: a read-only mount stops writes to
// files, not to device nodes (open(2) of a node on a read-only mount still writes
// to the device), so no /dev of the host, whole or in part.
const exposesDevices = (path) => {
  const p = path.replace(/\/+$/, '') || '/';
  return p === '/' || p === '/dev' || p.startsWith('/dev/');
};
let daemonSets = 0;
for (const doc of yaml.loadAll(fs.readFileSync(process.argv[2], 'utf8'))) {
  if (!doc || doc.kind !== 'DaemonSet') continue;
  ++daemonSets;
  const pod = doc.spec.template.spec;
  const annotations = (doc.spec.template.metadata || {}).annotations || {};
  const podSc = pod.securityContext || {};
  check(!pod.hostPID && !pod.hostNetwork && !pod.hostIPC, 'no host PID/network/IPC namespace');
  check(pod.automountServiceAccountToken === false, 'automountServiceAccountToken: false');
  const hostVolumes = new Map(
    (pod.volumes || []).filter((v) => v.hostPath).map((v) => [v.name, v.hostPath.path]));
  for (const [name, path] of hostVolumes)
    check(!exposesDevices(path),
          `volume ${name}: hostPath ${path} exposes the host's device nodes (no /dev: ` +
          'vfiokit check sees /dev/vfio/vfio and /dev/iommu in /sys/class/misc)');
  const writable = new Set(['/etc/kubernetes/node-feature-discovery/features.d',
                            '/var/lib/node_exporter/textfile_collector']);
  for (const c of pod.containers.concat(pod.initContainers || [])) {
    const sc = c.securityContext || {};
    check(sc.privileged !== true, `${c.name}: not privileged`);
    check(sc.allowPrivilegeEscalation === false, `${c.name}: allowPrivilegeEscalation false`);
    check(sc.readOnlyRootFilesystem === true, `${c.name}: readOnlyRootFilesystem`);
    check(sc.capabilities && JSON.stringify(sc.capabilities.drop) === '["ALL"]' &&
          !(sc.capabilities.add || []).length, `${c.name}: drops ALL capabilities, adds none`);
    const seccomp = (sc.seccompProfile || podSc.seccompProfile || {}).type;
    check(seccomp === 'RuntimeDefault' || seccomp === 'Localhost',
          `${c.name}: seccompProfile RuntimeDefault (or Localhost), not ${seccomp || 'unset'}`);
    // The effective user: the container's, else the pod's; unset is the image's
    // (root, for vfiokit's image) unless runAsNonRoot makes the kubelet refuse root.
    const uid = sc.runAsUser !== undefined ? sc.runAsUser : podSc.runAsUser;
    const nonRoot = sc.runAsNonRoot !== undefined ? sc.runAsNonRoot : podSc.runAsNonRoot;
    const root = uid === 0 || (uid === undefined && nonRoot !== true);
    check(!root || reason(annotations, ROOT_REASON),
          `${c.name}: runs as root without the reason: set runAsUser to a non-root uid, or ` +
          `say why root is needed in the pod template's annotation ${ROOT_REASON}`);
    const image = c.image || '';
    check(/@sha256:[0-9a-f]{64}$/.test(image) || reason(annotations, UNPINNED_REASON),
          `${c.name}: image ${image || '(none)'} is not pinned by digest: use ` +
          `NAME@sha256:DIGEST (docs/fleet.md, "Image"), or give the reason in the pod ` +
          `template's annotation ${UNPINNED_REASON}`);
    for (const m of c.volumeMounts || []) {
      const host = hostVolumes.get(m.name);
      if (host === undefined) continue;
      check(m.readOnly === true || writable.has(host),
            `${c.name}: hostPath ${host} mounted read-only (only the two output directories are writable)`);
    }
  }
  check(hostVolumes.size > 0, 'the DaemonSet has its hostPath volumes');
}
check(daemonSets > 0, 'the manifest has a DaemonSet');
if (bad.length) {
  console.log('FAIL policy: ' + bad.join('; '));
  process.exit(1);
}
console.log('ok   policy: read-only host mounts without /dev, no privilege, no capability, ' +
            'seccomp, no token, root only with its reason, image pinned by digest');
