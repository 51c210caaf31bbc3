// Strict field check: every document as a TypeScript object literal typed with the
// kubernetes-models interface of its kind, so `tsc --noEmit` reports any field the
// API does not have (excess property checks) and any wrong type or enum value.
'use strict';
const fs = require('fs');
const path = require('path');
const yaml = require('js-yaml');
const types = {
  'v1/Namespace': ['kubernetes-models/v1/Namespace', 'INamespace'],
  'v1/ServiceAccount': ['kubernetes-models/v1/ServiceAccount', 'IServiceAccount'],
  'apps/v1/DaemonSet': ['kubernetes-models/apps/v1/DaemonSet', 'IDaemonSet'],
  'monitoring.coreos.com/v1/PrometheusRule': [
    '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule', 'IPrometheusRule'],
};
const out = process.argv[2];
let ts = '', n = 0;
for (const file of process.argv.slice(3)) {
  yaml.loadAll(fs.readFileSync(file, 'utf8')).filter((d) => d !== null).forEach((doc, i) => {
    const t = types[`${doc.apiVersion}/${doc.kind}`];
    if (!t) throw new Error(`${file}[${i}]: no type for ${doc.apiVersion} ${doc.kind}`);
    ts += `import type { ${t[1]} as T${n} } from ${JSON.stringify(t[0])};\n`;
    ts += `// ${file}[${i}]\nexport const doc${n}: T${n} = ${JSON.stringify(doc, null, 2)};\n`;
    n++;
  });
}
fs.writeFileSync(out, ts);
