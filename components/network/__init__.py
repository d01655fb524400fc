"""The VPC: subnets over N zones, NAT, VPC endpoints, flow logs, discovery tags."""
