"""From options and project to a plan: the project, interpreters, images and the plan itself."""
