# GEE reference values (geepack) for kbeffect.models.mixed.gee (tests/models/test_mixed_api_alternatives.py).
# Run from the repository root:  Rscript tests/reference/lme4_gee_geepack.R
# Reads tests/reference/lme4_lmm_data.csv (written by lme4_lmm.R) and writes
# tests/reference/lme4_gee_geepack.json.
suppressPackageStartupMessages({ library(geepack); library(jsonlite) })
d <- read.csv("tests/reference/lme4_lmm_data.csv")
d <- d[order(d$family_id), ]
set.seed(1)
d$count <- rpois(nrow(d), exp(0.2 + 0.3 * d$kb - 0.2 * d$wave))
write.csv(d[, c("family_id", "child_id", "wave", "kb", "age", "count")],
          "tests/reference/lme4_gee_counts.csv", row.names = FALSE)
g1 <- geeglm(y ~ kb * wave + age, id = family_id, data = d, corstr = "exchangeable")
g2 <- geeglm(count ~ kb * wave, id = family_id, data = d, corstr = "exchangeable",
             family = poisson)
s1 <- summary(g1)$coefficients; s2 <- summary(g2)$coefficients
out <- list(
  gaussian = list(names = rownames(s1), estimate = s1[, "Estimate"], se = s1[, "Std.err"],
                  alpha = g1$geese$alpha[[1]]),
  poisson = list(names = rownames(s2), estimate = s2[, "Estimate"], se = s2[, "Std.err"],
                 alpha = g2$geese$alpha[[1]]),
  versions = list(R = R.version.string, geepack = as.character(packageVersion("geepack")))
)
write_json(out, "tests/reference/lme4_gee_geepack.json", digits = NA, auto_unbox = TRUE,
           pretty = TRUE)
