"""ECR repository for the serving image, and the image itself (built from serving-image/)."""
