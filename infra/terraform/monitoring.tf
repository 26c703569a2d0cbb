# Monitoring of the sync (log-based metrics on the function's summary line, alert policies for
# failing or non-converging syncs) belongs in this file. It is not part of this configuration
# yet: until it is, watch the function's ERROR entries in Cloud Logging.
