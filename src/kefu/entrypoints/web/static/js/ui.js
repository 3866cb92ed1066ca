// The one place pages import their component library from: Preact with hooks, written as htm templates
// (`html\`<${Tile} queue=${q} />\``), so no JSX and no build step.
import { h, render, Fragment, createContext } from "../vendor/preact.module.js";
import htm from "../vendor/htm.module.js";

export {
  useState, useEffect, useRef, useMemo, useCallback, useReducer, useContext, useLayoutEffect,
} from "../vendor/hooks.module.js";
export { h, render, Fragment, createContext };
export const html = htm.bind(h);
