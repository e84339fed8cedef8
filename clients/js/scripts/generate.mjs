// Generates src/generated from the committed IDL (../../idl/ballast.json) with Codama.
//
//   node scripts/generate.mjs          rewrite src/generated
//   node scripts/generate.mjs --check  render into a scratch folder and fail if src/generated
//                                      differs (what CI runs)
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import { rootNodeFromAnchor } from '@codama/nodes-from-anchor';
import { renderVisitor } from '@codama/renderers-js';
import { createFromRoot } from 'codama';

const packageFolder = fileURLToPath(new URL('..', import.meta.url));
const idlPath = join(packageFolder, '..', '..', 'idl', 'ballast.json');
const generated = 'src/generated';

async function render(folder) {
    const codama = createFromRoot(rootNodeFromAnchor(JSON.parse(readFileSync(idlPath, 'utf8'))));
    await codama.accept(
        renderVisitor(folder, {
            generatedFolder: generated,
            deleteFolderBeforeRendering: true,
            syncPackageJson: false,
        }),
    );
}

function files(root) {
    const out = new Map();
    const walk = dir => {
        for (const name of readdirSync(dir)) {
            const path = join(dir, name);
            if (statSync(path).isDirectory()) walk(path);
            else out.set(relative(root, path), readFileSync(path, 'utf8'));
        }
    };
    walk(root);
    return out;
}

if (process.argv.includes('--check')) {
    const scratch = mkdtempSync(join(tmpdir(), 'ballast-codama-'));
    try {
        cpSync(join(packageFolder, 'package.json'), join(scratch, 'package.json'));
        await render(scratch);
        const want = files(join(scratch, generated));
        const have = files(join(packageFolder, generated));
        const stale = [...new Set([...want.keys(), ...have.keys()])]
            .filter(path => want.get(path) !== have.get(path))
            .sort();
        if (stale.length > 0) {
            console.error(`${generated} is stale against idl/ballast.json; run \`npm run generate\`:`);
            for (const path of stale) console.error(`  ${path}`);
            process.exit(1);
        }
        console.log(`${generated} matches idl/ballast.json (${want.size} files)`);
    } finally {
        rmSync(scratch, { recursive: true, force: true });
    }
} else {
    await render(packageFolder);
    console.log(`wrote ${generated} from idl/ballast.json`);
}
