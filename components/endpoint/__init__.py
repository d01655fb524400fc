"""Blue-green endpoints on one shared ALB, and the AWS Load Balancer Controller behind it."""
