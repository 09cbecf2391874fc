# Reference values for kbeffect.models.classic (tests/models/test_classic_reference.py).
# Writes classic_tests.json: the inputs and R's results, numbers as strings with 17
# significant digits. Run from this directory:  Rscript classic_tests.R   (R 4.2.2)
suppressPackageStartupMessages(library(jsonlite))
num <- function(x) ifelse(is.na(x), NA_character_, sprintf("%.17g", x))
set.seed(11)
x <- round(rnorm(23, 52, 9), 2)
y <- round(rnorm(17, 47, 12), 2)
xp <- round(rnorm(20, 50, 10), 2)
yp <- round(xp - 2 + rnorm(20, 0, 4), 2)
g3 <- rep(c("kb", "prev", "vol"), c(14, 6, 11))
v3 <- round(rnorm(31, c(kb = 10, prev = 12, vol = 9)[g3], c(kb = 2, prev = 4, vol = 1.5)[g3]), 3)
tab22 <- matrix(c(12, 5, 7, 19), 2)
tab23 <- matrix(c(3, 1, 1, 4, 2, 5), 2)
tab33 <- matrix(c(4, 2, 1, 0, 3, 5, 2, 2, 6), 3)
mc <- matrix(c(30, 12, 5, 21), 2)  # rows: before 0/1, columns: after 0/1
tt <- function(r) list(t = num(unname(r$statistic)), df = num(unname(r$parameter)),
                       p = num(r$p.value), ci = num(as.numeric(r$conf.int)),
                       estimate = num(unname(r$estimate)))
chi <- function(r) list(stat = num(unname(r$statistic)), df = num(unname(r$parameter)),
                        p = num(r$p.value), expected = num(as.numeric(r$expected)))
aov3 <- summary(aov(v3 ~ g3))[[1]]
welch <- oneway.test(v3 ~ g3, var.equal = FALSE)
f22 <- fisher.test(tab22)
out <- list(
  data = list(x = num(x), y = num(y), xp = num(xp), yp = num(yp), g3 = g3, v3 = num(v3),
              tab22 = as.numeric(tab22), tab23 = as.numeric(tab23),
              tab33 = as.numeric(tab33), mc = as.numeric(mc)),
  t_one = tt(t.test(x, mu = 50)),
  t_one_greater = tt(t.test(x, mu = 50, alternative = "greater")),
  t_student = tt(t.test(x, y, var.equal = TRUE)),
  t_welch = tt(t.test(x, y)),
  t_paired = tt(t.test(xp, yp, paired = TRUE)),
  chisq22 = chi(chisq.test(tab22)),
  chisq22_nocorr = chi(chisq.test(tab22, correct = FALSE)),
  chisq23 = chi(suppressWarnings(chisq.test(tab23))),
  fisher22 = list(p = num(f22$p.value), or = num(unname(f22$estimate)),
                  ci = num(as.numeric(f22$conf.int))),
  fisher22_less = list(p = num(fisher.test(tab22, alternative = "less")$p.value)),
  fisher23 = list(p = num(fisher.test(tab23)$p.value)),
  fisher33 = list(p = num(fisher.test(tab33)$p.value)),
  mcnemar = list(stat = num(unname(mcnemar.test(mc)$statistic)),
                 p = num(mcnemar.test(mc)$p.value)),
  mcnemar_nocorr = list(stat = num(unname(mcnemar.test(mc, correct = FALSE)$statistic)),
                        p = num(mcnemar.test(mc, correct = FALSE)$p.value)),
  mcnemar_exact = list(p = num(binom.test(12, 17)$p.value)),
  aov = list(F = num(aov3$`F value`[1]), df1 = num(aov3$Df[1]), df2 = num(aov3$Df[2]),
             p = num(aov3$`Pr(>F)`[1]),
             eta2 = num(aov3$`Sum Sq`[1] / sum(aov3$`Sum Sq`))),
  welch = list(F = num(unname(welch$statistic)), df1 = num(unname(welch$parameter[1])),
               df2 = num(unname(welch$parameter[2])), p = num(welch$p.value))
)
writeLines(toJSON(out, auto_unbox = TRUE, pretty = TRUE, na = "null"), "classic_tests.json")
