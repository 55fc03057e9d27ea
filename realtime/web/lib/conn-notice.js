// The connection notice every page with a hub connection shows while its link is open in too many
// windows and phones (the hub refused one more: `too_many_connections`, close 4013). Not an error
// the person made and not a broken network: it says what happened and what to do (close one), and
// that this window will connect by itself, so nobody reloads in a loop. Hidden again once live.
//
// One element, made here and put at the top of <main>, so every page gets the same words from one
// place; its text follows the language button.

import { onChange, t } from "./i18n.js";

export class ConnNotice {
  constructor(root = document.querySelector("main") || document.body) {
    this.box = document.createElement("section");
    this.box.id = "conn-notice";
    this.box.className = "notice conn-notice";
    this.box.setAttribute("role", "alert");
    this.box.hidden = true;
    this.title = document.createElement("h2");
    this.body = document.createElement("p");
    this.box.append(this.title, this.body);
    root.prepend(this.box);
    this.state = "idle";
    onChange(() => this.render());
  }

  /** Follow the connection state (client.js `onState`). */
  set(state) {
    this.state = state;
    this.render();
  }

  render() {
    const crowded = this.state === "crowded";
    this.box.hidden = !crowded;
    if (!crowded) return;
    this.title.textContent = t("crowded.title");
    this.body.textContent = t("crowded.body");
  }
}
