# The function's identity: a dedicated service account and a custom role with exactly the
# permissions a sync uses (test/e2e/rbac_coverage.test.ts derives them from the calls the code
# makes and compares with this list). Kubernetes rights come from manifests/ RBAC, not IAM.
locals {
  sync_permissions = [
    # getCluster: the endpoint and CA; also what GKE checks before RBAC to let the account in.
    "container.clusters.get",
    # The DNS-based control-plane endpoint checks it at Google's front end (no API call of ours).
    "container.clusters.connect",
    # aggregatedList of instances: external IPs, network tags and network of the nodes.
    "compute.instances.list",
    "compute.firewalls.list",
    "compute.firewalls.create",
    "compute.firewalls.update",
    "compute.firewalls.delete",
    # Every firewall write also needs it on the rule's network.
    "compute.networks.updatePolicy",
    # globalOperations.wait on each firewall write.
    "compute.globalOperations.get",
  ]

  # What the role in a Shared VPC host project needs: the firewall side only.
  network_permissions = [
    "compute.firewalls.list",
    "compute.firewalls.create",
    "compute.firewalls.update",
    "compute.firewalls.delete",
    "compute.networks.updatePolicy",
    "compute.globalOperations.get",
  ]

  shared_vpc = var.network_project_id != "" && var.network_project_id != var.project_id
}

resource "google_service_account" "nodelb" {
  project      = var.project_id
  account_id   = var.service_account_id
  display_name = "nodelb sync"
  description  = "Runs the nodelb function: reads GKE clusters and instances, writes firewall rules; Kubernetes rights via RBAC (manifests/)."
}

resource "google_project_iam_custom_role" "sync" {
  project     = var.project_id
  role_id     = var.custom_role_id
  title       = "nodelb sync"
  description = "Exactly what a nodelb sync calls: get/connect clusters, list instances, manage firewall rules."
  permissions = local.sync_permissions
}

resource "google_project_iam_member" "sync" {
  project = var.project_id
  role    = google_project_iam_custom_role.sync.id
  member  = google_service_account.nodelb.member
}

# Shared VPC: firewall rules live in the host project, so the firewall permissions must be
# granted there (a project's custom role cannot be bound in another project).
resource "google_project_iam_custom_role" "network" {
  count = local.shared_vpc ? 1 : 0

  project     = var.network_project_id
  role_id     = var.custom_role_id
  title       = "nodelb firewall rules"
  description = "nodelb's firewall rules on the Shared VPC network of ${var.project_id}."
  permissions = local.network_permissions
}

resource "google_project_iam_member" "network" {
  count = local.shared_vpc ? 1 : 0

  project = var.network_project_id
  role    = google_project_iam_custom_role.network[0].id
  member  = google_service_account.nodelb.member
}
