# Terraform and provider versions, and the providers' defaults. Nothing is created here.
terraform {
  required_version = ">= 1.5"

  required_providers {
    google = {
      source = "hashicorp/google"
      # 6.x: google_cloudfunctions2_function event_trigger.retry_policy and nodejs24 builds.
      version = ">= 6.0, < 8.0"
    }
    archive = {
      source = "hashicorp/archive"
      # 2.5: glob patterns (**) in archive_file.excludes.
      version = ">= 2.5"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}
