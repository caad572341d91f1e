"""Settings for `rq worker -c lms.worker_settings`, run in the project directory with the app's environment.

The queue and Redis come from the same variables as the app's (REDIS_URL, LMS_QUEUE). Importing this module
also loads the app once in the worker's main process, before it forks a process per job: each job then
starts at once instead of importing the whole application again. A plain
`rq worker --url $REDIS_URL lms` runs the same jobs, each paying that start-up itself.
"""
import os

from lms.jobs import warm_up

REDIS_URL = os.environ.get("REDIS_URL")
if not REDIS_URL:
    raise SystemExit("REDIS_URL is not set: the worker takes its jobs from the Redis the app queues them in")
QUEUES = [os.environ.get("LMS_QUEUE", "lms")]

warm_up()
