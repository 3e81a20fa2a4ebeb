#include <stddef.h>
#include <string.h>

#include "fewflow/learner.h"
#include "meta/learner_impl.h"

/* Every learner `fewflow train --method` accepts, in --help order. A new
 * learner adds its ops here (and its extern in learner_impl.h). */
static const struct learner_ops *const registry[] = {
    &learner_protonet_ops,
    &learner_siamese_ops,
    &learner_triplet_ops,
    &learner_baseline_ops,
    &learner_maml_ops, &learner_fomaml_ops, &learner_anil_ops,
};

const struct learner_ops *learner_find(const char *name)
{
    for (size_t i = 0; i < sizeof(registry) / sizeof(registry[0]); i++) {
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    }
    return NULL;
}

const struct learner_ops *learner_at(size_t i)
{
    return i < sizeof(registry) / sizeof(registry[0]) ? registry[i] : NULL;
}

const char *learner_default_name(void)
{
    return "protonet";
}

const char *learner_default_rule(void)
{
    return "auto";
}
