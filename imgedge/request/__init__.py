"""The request layer: URL → canonical spec → reversible variant key, and the proven bound on how many
variants one original can have. Standard library only: this folder is what the viewer-request function
ships (with ``config``, ``errors`` and the CloudFront adapter), so nothing here may import Pillow, numpy or
boto3.

One idea per module, in import order:

* ``vocabulary`` — formats, fits, gravities, limits;  ``values`` — one parser per kind of value;
  ``tokens`` — how a spec field is spelled in a key;
* ``options`` — the option table every other module derives from;
* ``spec`` — ``RequestParams`` and ``VariantSpec``;
* ``grammar`` — query string → ``RequestParams``;  ``canonical`` — → ``VariantSpec``, ``is_canonical``;
* ``keys`` — ``VariantSpec`` ⇄ key segment;  ``paths`` — original key + segment ⇄ S3 key and URI;
* ``bounds`` — ``variant_bound``;  ``reference`` — the README's parameter table;
* ``negotiate`` — ``Accept`` and client hints;  ``signing`` — signed URLs;  ``device`` — the device class;
* ``dialects`` — imgix, Cloudflare, Next.js and Photon URLs said in the grammar's words (one module each).

Import the modules themselves (``from imgedge.request.grammar import parse_query``): this package imports
nothing, so ``imgedge.config`` can read the option table without a cycle.
"""
