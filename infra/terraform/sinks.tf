# Log Router sinks that turn GCE and GKE audit entries into "sync this cluster now" messages on
# the topic. The function re-reads everything; the entry only says which cluster and why.
locals {
  # Methods called through the API carry the API version: v1.compute.instances.stop or beta.….
  gce_api_methods = [
    "compute.instances.insert",
    "compute.instances.delete",
    "compute.instances.start",
    "compute.instances.stop",
    "compute.instances.reset",
    "compute.instances.suspend",
    "compute.instances.resume",
    "compute.instances.addAccessConfig",
    "compute.instances.deleteAccessConfig",
    "compute.instances.updateAccessConfig",
    "compute.instances.setTags",
  ]
  # Google-initiated events (system_event log) and MIG autohealing carry no version prefix.
  gce_system_methods = [
    "compute.instances.preempted",
    "compute.instances.hostError",
    "compute.instances.guestTerminate",
    "compute.instances.terminateOnHostMaintenance",
    "compute.instances.automaticRestart",
    "compute.instances.repair.recreateInstance",
  ]
  gce_method_names = concat(
    flatten([for m in local.gce_api_methods : ["v1.${m}", "beta.${m}"]]),
    local.gce_system_methods,
  )

  # Writes to Services and Nodes are in GKE's Admin Activity log. Status writes are DATA_WRITE
  # entries of the Data Access log (off by default, billed): Service status is what nodelb writes
  # itself (never routed, or each sync would trigger the next), Node status carries the kubelet's
  # Ready/NotReady and is routed only with watch_node_status.
  gke_methods = [
    "io.k8s.core.v1.services.create",
    "io.k8s.core.v1.services.update",
    "io.k8s.core.v1.services.patch",
    "io.k8s.core.v1.services.delete",
    "io.k8s.core.v1.nodes.create",
    "io.k8s.core.v1.nodes.update",
    "io.k8s.core.v1.nodes.patch",
    "io.k8s.core.v1.nodes.delete",
  ]
  gke_node_status_methods = [
    "io.k8s.core.v1.nodes.status.patch",
    "io.k8s.core.v1.nodes.status.update",
  ]
  gke_method_names = concat(local.gke_methods, var.watch_node_status ? local.gke_node_status_methods : [])

  log_prefix = "projects/${var.project_id}/logs/cloudaudit.googleapis.com"

  gce_filter = join(" AND ", [
    "(logName=\"${local.log_prefix}%2Factivity\" OR logName=\"${local.log_prefix}%2Fsystem_event\")",
    "protoPayload.serviceName=\"compute.googleapis.com\"",
    "resource.type=\"gce_instance\"",
    "(${join(" OR ", [for m in local.gce_method_names : "protoPayload.methodName=\"${m}\""])})",
  ])

  # Configured clusters in this project; the sinks can only see this project's logs.
  local_clusters = [
    for c in var.clusters : regex("^projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/clusters/(?P<name>[^/]+)$", c)
    if startswith(c, "projects/${var.project_id}/")
  ]

  gke_filter = join(" AND ", [
    var.watch_node_status ? "(logName=\"${local.log_prefix}%2Factivity\" OR logName=\"${local.log_prefix}%2Fdata_access\")" : "logName=\"${local.log_prefix}%2Factivity\"",
    "resource.type=\"k8s_cluster\"",
    "protoPayload.serviceName=\"k8s.io\"",
    "(${join(" OR ", [for c in local.local_clusters : "(resource.labels.location=\"${c.location}\" AND resource.labels.cluster_name=\"${c.name}\")"])})",
    "(${join(" OR ", [for m in local.gke_method_names : "protoPayload.methodName=\"${m}\""])})",
    # nodelb's own writes never mean "sync again".
    "protoPayload.authenticationInfo.principalEmail!=\"${google_service_account.nodelb.email}\"",
  ])
}

resource "google_logging_project_sink" "gce" {
  project                = var.project_id
  name                   = "${var.function_name}-gce-instances"
  description            = "GCE instance changes (activity and system_event audit logs) that can change a GKE node's external IP."
  destination            = "pubsub.googleapis.com/${google_pubsub_topic.nodelb.id}"
  filter                 = local.gce_filter
  unique_writer_identity = true
}

resource "google_pubsub_topic_iam_member" "gce_sink" {
  project = var.project_id
  topic   = google_pubsub_topic.nodelb.name
  role    = "roles/pubsub.publisher"
  member  = google_logging_project_sink.gce.writer_identity
}

resource "google_logging_project_sink" "gke" {
  count = var.watch_gke_audit_logs && length(local.local_clusters) > 0 ? 1 : 0

  project                = var.project_id
  name                   = "${var.function_name}-gke-objects"
  description            = "Service and Node writes in the configured GKE clusters (k8s.io audit logs)."
  destination            = "pubsub.googleapis.com/${google_pubsub_topic.nodelb.id}"
  filter                 = local.gke_filter
  unique_writer_identity = true
}

resource "google_pubsub_topic_iam_member" "gke_sink" {
  count = length(google_logging_project_sink.gke)

  project = var.project_id
  topic   = google_pubsub_topic.nodelb.name
  role    = "roles/pubsub.publisher"
  member  = google_logging_project_sink.gke[0].writer_identity
}
