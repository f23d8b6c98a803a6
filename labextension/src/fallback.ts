/**
 * The nbconnect widget fallback: when a widget output's model is gone (a saved notebook
 * reopened without widget state, or after the kernel restarted), show the static
 * fallback that the same display carries (`text/html`, `application/vnd.nbconnect.view+json`,
 * ...) instead of "Error displaying widget: model not found".
 *
 * The Python side (`nbconnect.notebook.fallback`) sends the widget view and the fallback
 * in one display and keeps the fallback current with `update_display_data`. This plugin
 * wraps the renderers a notebook's rendermime registry makes for the widget view MIME
 * type: after the widget renderer has tried, if its node says the widget could not be
 * displayed, the best other MIME type of the bundle is rendered in its place.
 */

/** The widget view MIME type of ipywidgets 8. */
export const WIDGET_MIME = 'application/vnd.jupyter.widget-view+json';
/** The MIME type of an nbconnect view's JSON state. */
export const VIEW_MIME = 'application/vnd.nbconnect.view+json';
/** The CSS class on a widget output that shows its fallback (tests look for it). */
export const FALLBACK_CLASS = 'nbconnect-widget-fallback';

const PATCHED = Symbol.for('nbconnect.widgetFallback');

/** True when the widget renderer gave up (its own words, ipywidgets 8). */
function failed(node: HTMLElement): boolean {
  return (node.textContent || '').trim().startsWith('Error displaying widget');
}

/** Render the bundle's best non-widget MIME type into `renderer` (a Lumino Panel). */
async function showFallback(registry: any, create: any, renderer: any, model: any) {
  const data = { ...model.data };
  delete data[WIDGET_MIME];
  if (!(VIEW_MIME in data) && !('text/html' in data)) {
    return; // not a display with a fallback: leave the widget's message
  }
  const mime = registry.preferredMimeType(data, model.trusted ? 'any' : 'ensure');
  if (!mime) {
    return;
  }
  const inner = create.call(registry, mime);
  renderer.node.textContent = '';
  renderer.removeClass('jupyter-widgets');
  renderer.addClass(FALLBACK_CLASS);
  await inner.renderModel(model);
  renderer.addWidget(inner);
}

/** Patch the `createRenderer` of a RenderMimeRegistry's class, once. */
export function patchRegistry(registry: any): void {
  const proto = Object.getPrototypeOf(registry);
  if (!proto || proto[PATCHED] || typeof proto.createRenderer !== 'function') {
    return;
  }
  const create = proto.createRenderer;
  proto[PATCHED] = true;
  proto.createRenderer = function (mimeType: string) {
    const renderer = create.call(this, mimeType);
    if (mimeType !== WIDGET_MIME || typeof renderer.addWidget !== 'function') {
      return renderer;
    }
    const registry = this;
    const render = renderer.renderModel.bind(renderer);
    renderer.renderModel = async (model: any) => {
      await render(model);
      if (failed(renderer.node)) {
        await showFallback(registry, create, renderer, model);
      }
    };
    return renderer;
  };
}

function patchFrom(app: any): boolean {
  const factory = app.docRegistry && app.docRegistry.getWidgetFactory('Notebook');
  if (factory && factory.rendermime) {
    patchRegistry(factory.rendermime);
    return true;
  }
  return false;
}

const plugin = {
  id: 'nbconnect:widget-fallback',
  description: 'Shows the static fallback of an nbconnect widget whose model is gone.',
  autoStart: true,
  activate: (app: any): void => {
    if (!patchFrom(app)) {
      void app.started.then(() => patchFrom(app));
    }
  }
};

export default plugin;
