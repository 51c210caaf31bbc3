// Validates Kubernetes manifests offline: each YAML document against the OpenAPI
// schema of its apiVersion/kind as bundled in kubernetes-models (Kubernetes) and
// @kubernetes-models/prometheus-operator (PrometheusRule). Unknown kinds fail.
//   node validate.js FILE...            exit 0 when every document is valid
'use strict';
const fs = require('fs');
const yaml = require('js-yaml');

const models = {
  'v1/Namespace': () => require('kubernetes-models/v1/Namespace').Namespace,
  'v1/ServiceAccount': () => require('kubernetes-models/v1/ServiceAccount').ServiceAccount,
  'apps/v1/DaemonSet': () => require('kubernetes-models/apps/v1/DaemonSet').DaemonSet,
  'monitoring.coreos.com/v1/PrometheusRule': () =>
    require('@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule')
      .PrometheusRule,
};

let failed = 0;
for (const file of process.argv.slice(2)) {
  let docs;
  try {
    docs = yaml.loadAll(fs.readFileSync(file, 'utf8')).filter((d) => d !== null);
  } catch (e) {
    console.log(`FAIL ${file}: not YAML: ${e.message}`);
    failed++;
    continue;
  }
  docs.forEach((doc, i) => {
    const what = `${file}[${i}] ${doc.kind}/${doc.metadata && doc.metadata.name}`;
    const model = models[`${doc.apiVersion}/${doc.kind}`];
    if (!model) {
      console.log(`FAIL ${what}: no schema for ${doc.apiVersion} ${doc.kind}`);
      failed++;
      return;
    }
    try {
      new (model())(doc).validate();
      console.log(`ok   ${what}`);
    } catch (e) {
      console.log(`FAIL ${what}: ${e.message}`);
      failed++;
    }
  });
}
process.exit(failed ? 1 : 0);
