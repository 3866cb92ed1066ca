// Entry point of the agent workspace (/): the workspace's texts join the shared ones, then Preact renders.

import { register } from "../i18n.js";
import { WORKSPACE_TEXT } from "../i18n/workspace.js";
import { html, render } from "../ui.js";
import { App } from "./app.js";

register(WORKSPACE_TEXT);
render(html`<${App} />`, document.getElementById("app"));
