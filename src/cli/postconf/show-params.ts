// "postconf [-n|-d] [-h|-H] [-x] [-f] [name...]": main.cf parameter display.
import { type ParamNode, ParamFlag, type PostconfModel, byteCompare } from './model.js';
import { Mode } from './options.js';
import { formatLine } from './print-line.js';

function printParameter(model: PostconfModel, mode: number, name: string, node: ParamNode): void {
  let value = model.lookupValue(mode, name, undefined, node);
  if (value === undefined) return;
  const fold = (mode & Mode.FoldLine) !== 0;
  if ((mode & Mode.HideValue) !== 0) {
    model.report.print(formatLine(name, fold));
    return;
  }
  if ((mode & Mode.ShowEval) !== 0 && (node.flags & ParamFlag.Raw) === 0) {
    value = model.expandValue(value, mode);
  }
  model.report.print(formatLine((mode & Mode.HideName) === 0 ? `${name} = ${value}` : value, fold));
}

export function showParameters(
  model: PostconfModel,
  mode: number,
  paramClass: number,
  names: string[],
): void {
  if (names.length === 0) {
    const all = [...model.params.keys()].sort(byteCompare);
    for (const name of all) {
      const node = model.params.get(name) as ParamNode;
      if ((paramClass & node.flags) !== 0) printParameter(model, mode, name, node);
    }
    return;
  }
  for (const name of names) {
    const node = model.params.get(name);
    if (node === undefined) {
      model.report.flush();
      model.report.warn(`${name}: unknown parameter`);
    } else {
      printParameter(model, mode, name, node);
    }
  }
}
