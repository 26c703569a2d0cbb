# Inputs. Every variable has a description and, where a typo would only show up at apply time
# (or worse, at the first sync), a validation.

variable "project_id" {
  description = "Project that holds the function, topic, scheduler job and log sinks; GKE clusters in it are watched for GCE/GKE events."
  type        = string

  validation {
    condition     = can(regex("^[a-z][-a-z0-9]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a project ID (6-30 lowercase letters, digits, hyphens), not a project number or name."
  }
}

variable "region" {
  description = "Region of the function, the Cloud Scheduler job and the trigger."
  type        = string
  default     = "us-central1"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a region such as us-central1, not a zone."
  }
}

variable "clusters" {
  description = "GKE clusters to sync, as projects/PROJECT/locations/LOCATION/clusters/NAME (NODELB_CLUSTERS). Event sinks watch project_id only; clusters in other projects are synced by the schedule."
  type        = list(string)

  validation {
    condition     = length(var.clusters) > 0 && alltrue([for c in var.clusters : can(regex("^projects/[a-z][-a-z0-9]{4,28}[a-z0-9]/locations/[a-z0-9-]+/clusters/[a-z]([-a-z0-9]{0,38}[a-z0-9])?$", c))])
    error_message = "clusters must list at least one cluster, each as projects/PROJECT/locations/LOCATION/clusters/NAME."
  }
}

variable "function_name" {
  description = "Name of the event-driven function (the optional HTTP function is named \"<function_name>-http\")."
  type        = string
  default     = "nodelb"

  validation {
    condition     = can(regex("^[a-z][-a-z0-9]{0,57}[a-z0-9]$", var.function_name))
    error_message = "function_name must be lowercase letters, digits and hyphens, start with a letter, at most 59 characters."
  }
}

variable "service_account_id" {
  description = "Account ID of the function's dedicated service account. Its email is the Kubernetes user that manifests/ binds RBAC to."
  type        = string
  default     = "nodelb"

  validation {
    condition     = can(regex("^[a-z][-a-z0-9]{4,28}[a-z0-9]$", var.service_account_id))
    error_message = "service_account_id must be 6-30 lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "custom_role_id" {
  description = "ID of the custom IAM role holding exactly the permissions a sync uses (a second role with the same ID is created in network_project_id for Shared VPC)."
  type        = string
  default     = "nodelbSync"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_.]{3,64}$", var.custom_role_id))
    error_message = "custom_role_id must be 3-64 letters, digits, underscores or dots."
  }
}

variable "network_project_id" {
  description = "Shared VPC host project that owns the clusters' network and therefore the firewall rules. Empty when the network is in project_id. When set, a role with the firewall permissions is created and bound there too."
  type        = string
  default     = ""

  validation {
    condition     = var.network_project_id == "" || can(regex("^[a-z][-a-z0-9]{4,28}[a-z0-9]$", var.network_project_id))
    error_message = "network_project_id must be empty or a project ID."
  }
}

variable "schedule" {
  description = "Cloud Scheduler cron for the full sync; every minute is the finest Cloud Scheduler allows."
  type        = string
  default     = "* * * * *"

  validation {
    condition     = length(split(" ", trimspace(var.schedule))) == 5
    error_message = "schedule must be a five-field cron expression."
  }
}

variable "time_zone" {
  description = "Time zone of the schedule (tz database name)."
  type        = string
  default     = "Etc/UTC"
}

variable "function_timeout_seconds" {
  description = "Function timeout. A sync stops starting writes 60 s before it (NODELB_TIME_BUDGET_SECONDS), so a timeout never cuts a write in half. Event-driven functions allow at most 540 s."
  type        = number
  default     = 300

  validation {
    condition     = var.function_timeout_seconds >= 90 && var.function_timeout_seconds <= 540
    error_message = "function_timeout_seconds must be from 90 to 540."
  }
}

variable "function_memory" {
  description = "Memory of each function instance."
  type        = string
  default     = "256M"

  validation {
    condition     = can(regex("^[0-9]+(M|Mi|G|Gi)$", var.function_memory))
    error_message = "function_memory must look like 256M, 512Mi or 1G."
  }
}

variable "max_instances" {
  description = "Most function instances at once. Each takes one invocation; a scheduled round of more than fanout_threshold clusters is fanned out, one invocation per cluster, so this many clusters sync at once (see the README, \"How many clusters\")."
  type        = number
  default     = 10

  validation {
    condition     = var.max_instances >= 1 && var.max_instances <= 1000 && floor(var.max_instances) == var.max_instances
    error_message = "max_instances must be a whole number from 1 to 1000."
  }
}

variable "fanout_threshold" {
  description = "A scheduled round of more clusters than this publishes one Pub/Sub message per cluster (NODELB_FANOUT_THRESHOLD) instead of syncing them in one invocation."
  type        = number
  default     = 8

  validation {
    condition     = var.fanout_threshold >= 1 && floor(var.fanout_threshold) == var.fanout_threshold
    error_message = "fanout_threshold must be a whole number, 1 or more."
  }
}

variable "function_node_options" {
  description = "NODE_OPTIONS of the function: a small young generation and an old-space cap that keep a 256M instance below its limit (measured by npm run bench). Raise --max-old-space-size to about 5/8 of function_memory when you raise that."
  type        = string
  default     = "--max-old-space-size=160 --max-semi-space-size=1"

  validation {
    condition     = can(regex("^(--[a-z-]+(=[0-9]+)?)( --[a-z-]+(=[0-9]+)?)*$", var.function_node_options))
    error_message = "function_node_options must be Node flags such as --max-old-space-size=160."
  }
}

variable "environment" {
  description = "Further NODELB_* settings for the function (see the README's configuration table), e.g. { NODELB_MAX_IPS = \"3\" }. NODELB_CLUSTERS and NODELB_TIME_BUDGET_SECONDS are set from other variables."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.environment) : can(regex("^NODELB_[A-Z_]+$", k)) && !contains(["NODELB_CLUSTERS", "NODELB_TIME_BUDGET_SECONDS"], k)])
    error_message = "environment keys must be NODELB_* variables other than NODELB_CLUSTERS and NODELB_TIME_BUDGET_SECONDS."
  }
}

variable "enable_http_function" {
  description = "Also deploy nodelbHttp (a manual sync that answers with the JSON report; ?dryRun=true, ?cluster=). Callable only by http_invokers (IAM), never anonymously."
  type        = bool
  default     = false
}

variable "http_invokers" {
  description = "Principals allowed to call the HTTP function, e.g. [\"user:alice@example.com\", \"group:sre@example.com\"]."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for m in var.http_invokers : can(regex("^(user|serviceAccount|group|domain|principal|principalSet):.+", m))])
    error_message = "http_invokers must be IAM members such as user:EMAIL, serviceAccount:EMAIL or group:EMAIL (allUsers is not accepted)."
  }
}

variable "watch_gke_audit_logs" {
  description = "Route GKE (k8s.io) audit entries for Services and Nodes to the topic, so a new Service gets its IPs without waiting for the schedule."
  type        = bool
  default     = true
}

variable "watch_node_status" {
  description = "Also route Node status writes (Ready/NotReady transitions). They are in the GKE Data Access log (DATA_WRITE), which is off by default and billed; enable it for k8s.io first. Without this, Ready transitions are picked up by the schedule."
  type        = bool
  default     = false
}

variable "source_bucket_name" {
  description = "Bucket for the function's source archive; created by this configuration. Empty: \"<project_id>-nodelb-source\"."
  type        = string
  default     = ""
}

variable "enable_apis" {
  description = "Enable the Google APIs the deployment needs. Turn off when a platform team manages project services."
  type        = bool
  default     = true
}

variable "labels" {
  description = "Labels added to the resources that take labels."
  type        = map(string)
  default     = {}
}

variable "failed_syncs_threshold" {
  description = "The alert \"repeated failed syncs\" fires when more than this many syncs of one cluster fail within failed_syncs_window_minutes. With the every-minute schedule, 3 in 10 minutes lets a passing hiccup (an API's 503, a control-plane upgrade) go by."
  type        = number
  default     = 3

  validation {
    condition     = var.failed_syncs_threshold >= 0 && floor(var.failed_syncs_threshold) == var.failed_syncs_threshold
    error_message = "failed_syncs_threshold must be a whole number, 0 or more."
  }
}

variable "failed_syncs_window_minutes" {
  description = "The window, in minutes, over which the alert counts failed syncs of one cluster."
  type        = number
  default     = 10

  validation {
    condition     = var.failed_syncs_window_minutes >= 1 && var.failed_syncs_window_minutes <= 1440 && floor(var.failed_syncs_window_minutes) == var.failed_syncs_window_minutes
    error_message = "failed_syncs_window_minutes must be a whole number of minutes from 1 to 1440."
  }
}

variable "alert_notification_channels" {
  description = "Notification channels of the alert, as projects/PROJECT/notificationChannels/ID (gcloud beta monitoring channels list). Empty: incidents only show in the console."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.alert_notification_channels : can(regex("^projects/[^/]+/notificationChannels/[^/]+$", c))])
    error_message = "alert_notification_channels must list channel names like projects/my-project/notificationChannels/1234567890."
  }
}
