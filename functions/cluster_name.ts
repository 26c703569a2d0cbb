// GKE cluster resource names, projects/P/locations/L/clusters/C: the one parser and type that
// configuration, event routing and connecting all use. Pure; owned by config.ts.

/** A cluster's resource name, validated, and its parts. */
export interface ClusterName {
  full: string; // projects/P/locations/L/clusters/C
  project: string;
  location: string; // a region (regional cluster) or a zone (zonal cluster)
  name: string; // the short name, as in `gcloud container clusters … NAME`
}

/** How the form is named in errors and help. */
export const CLUSTER_NAME_FORM = 'projects/PROJECT/locations/LOCATION/clusters/NAME';

// Project ids: 6-30 characters, a lowercase letter first, no trailing hyphen. Cluster names:
// up to 40 characters, a lowercase letter first (GKE's own rules).
const CLUSTER_RE = /^projects\/([a-z][-a-z0-9]{4,28}[a-z0-9])\/locations\/([a-z0-9-]+)\/clusters\/([a-z](?:[-a-z0-9]{0,38}[a-z0-9])?)$/;

/** The parts of a full cluster name, or undefined when it is not one. */
export function parseClusterName(full: string): ClusterName | undefined {
  const m = CLUSTER_RE.exec(full);
  return m ? { full, project: m[1]!, location: m[2]!, name: m[3]! } : undefined;
}

/** The full name from its parts (audit-log entries carry them as separate labels). */
export function formatClusterName(project: string, location: string, name: string): string {
  return `projects/${project}/locations/${location}/clusters/${name}`;
}
