// The Cloud Function entry points; registration only. Everything heavy loads on the first
// invocation (handlers/run_sync.ts), so the framework is ready to serve right away.
import { cloudEvent, http } from '@google-cloud/functions-framework';
import { nodelbEvent } from './handlers/cloud_event.ts';
import { nodelbHttp } from './handlers/http.ts';

http('nodelbHttp', nodelbHttp);
cloudEvent('nodelbEvent', nodelbEvent);
