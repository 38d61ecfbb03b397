"""Export a scenario for other tools: SBML with the schedule as events, SED-ML, and a COMBINE archive (OMEX).

The exported SBML is the packaged model that simulates the scenario (for the composed model its flattened
form) with

* the scenario's parameter overrides (patient, blockades, ``[parameters]``) written as parameter values, so
  the model's initial assignments derive the initial state exactly as :class:`~crosstalk.sim.simulator.Simulator`
  does;
* every exercise session and drug administration as an SBML event (:func:`crosstalk.plan.schedule.to_sbml_events`:
  trigger ``time >= t``, persistent, fires at t = 0 for t = 0);
* model notes that name the scenario and carry its TOML.

The SED-ML describes a uniform time course over the scenario's duration on its output grid, with CVODE
(KISAO:0000019) at the given tolerances, one data generator per observable, a report of all of them and a
plot of the main clinical read-outs. The OMEX archive holds both with a manifest and OMEX metadata.

Tests run every built-in scenario's export in COPASI (basico) and the archive in tellurium and compare with
our simulator (``tests/test_export.py``).

References
----------
Keating SM et al. (2020) SBML Level 3: an extensible format for the exchange and reuse of biological models.
Mol Syst Biol 16:e9110. doi:10.15252/msb.20199110
Smith LP et al. (2021) SED-ML Level 1 Version 4. J Integr Bioinform 18:20210021. doi:10.1515/jib-2021-0021
Bergmann FT et al. (2014) COMBINE archive and OMEX format. BMC Bioinformatics 15:369.
doi:10.1186/s12859-014-0369-z
"""

from __future__ import annotations

import datetime as _dt
import html
import re
from pathlib import Path
from typing import Literal

import libsbml

from crosstalk.errors import InputError, ModelBuildError
from crosstalk.files import write_atomic, write_text_atomic
from crosstalk.model.build import validate_sbml
from crosstalk.model.observables import observables_for
from crosstalk.model.parameters import flat_id, model_path
from crosstalk.plan.schedule import Breakpoint, add_sbml_events, breakpoints
from crosstalk.spec.scenario import Scenario

__all__ = ["FORMATS", "PLOTTED", "export", "scenario_omex", "scenario_sbml", "scenario_sedml", "schedule_breakpoints"]

#: Output formats of ``crosstalk export``.
FORMATS: tuple[str, ...] = ("sbml", "sedml", "omex")
#: Observables drawn in the SED-ML plots (when the model has them), one plot each.
PLOTTED: tuple[str, ...] = ("tumour_volume_mm3", "lvef_percent", "il6_pg_per_ml", "nk_blood_per_ul",
                            "doxorubicin_plasma_ng_per_ml", "pd1_occupancy")
#: Solver settings written into the SED-ML (KISAO:0000209 relative, KISAO:0000211 absolute tolerance).
#: roadrunner (tellurium) scales the absolute tolerance per state; with 1e-10 an ExEV count cleared to a few
#: particles differed from our engine by 0.5% of its floor value (below), with 1e-14 by 3e-6 (measured,
#: tests/test_export.py); with 1e-14 tellurium's CVODE failed to converge on prehab_then_ac after version 0.4.0's
#: heart states (CV_CONV_FAILURE at the end of an AC infusion), with 1e-15 it runs every built-in scenario.
SEDML_RTOL = 1e-8
SEDML_ATOL = 1e-15
SBML_LANGUAGE = "urn:sedml:language:sbml.level-3.version-2"
_SBML_FILE = "model.xml"
_SEDML_FILE = "simulation.sedml"


def _sbml_id(text: str) -> str:
    out = re.sub(r"\W", "_", text)
    return out if re.match(r"[A-Za-z_]", out) else f"_{out}"


def _model_ids(sbml: str) -> tuple[set[str], set[str]]:
    doc = libsbml.readSBMLFromString(sbml)
    m = doc.getModel()
    return {s.getId() for s in m.getListOfSpecies()}, {p.getId() for p in m.getListOfParameters()}


def schedule_breakpoints(scenario: Scenario, species: set[str]) -> list[Breakpoint]:
    """The scenario's schedule changes up to its end, with the model's species ids (``species``: those of its
    flattened SBML), ready for :func:`crosstalk.plan.schedule.add_sbml_events`."""
    return _flat_breakpoints([bp for bp in breakpoints(scenario) if bp.time_h <= scenario.duration_hours], species)


def _flat_breakpoints(points: list[Breakpoint], species: set[str]) -> list[Breakpoint]:
    """Breakpoints with contract species names replaced by the model's ids (``exercise_on`` -> ``ex__exercise_on``)."""

    def ids(pairs: tuple[tuple[str, float], ...]) -> tuple[tuple[str, float], ...]:
        out = []
        for name, value in pairs:
            sid = flat_id(name, species)
            if sid not in species:
                raise ModelBuildError(f"the model has no input species {name!r}")
            out.append((sid, value))
        return tuple(out)

    return [Breakpoint(bp.time_h, ids(bp.values), ids(bp.increments)) for bp in points]


def _scenario_notes(scenario: Scenario, n_events: int) -> str:
    overrides = scenario.parameter_overrides()
    rows = "".join(f"<li>{html.escape(k)} = {v!r}</li>" for k, v in sorted(overrides.items())) or "<li>none</li>"
    return (
        '<body xmlns="http://www.w3.org/1999/xhtml">'
        f"<h1>crosstalk scenario {html.escape(scenario.name)}</h1>"
        f"<p>{html.escape(scenario.description or 'No description.')}</p>"
        f"<p>Model: {html.escape(scenario.model)}, {html.escape(scenario.species)} parameter set (its values are "
        f"among the changes listed below). Duration: {scenario.duration_days:g} days "
        f"({scenario.duration_hours:g} h, the model's time unit is hour). Exercise sessions and drug "
        f"administrations are encoded as {n_events} events named schedule_event_N (trigger time &gt;= t, "
        "persistent; infusions set a rate input, boluses add amount). Output grid of the scenario: every "
        f"{scenario.output_step_hours:g} h.</p>"
        "<p>Solver: at events after the start CVODE may cut its step below the resolution of t and print "
        "'t + h = t' warnings (about 100 per AC course with roadrunner's defaults, 30 with "
        "<code>integrator.initial_time_step = 1e-12</code>). They do not change the result: COPASI's LSODA agrees "
        "with roadrunner within 1e-4 on every observable of every built-in scenario.</p>"
        f"<p>Parameter values changed from the crosstalk tables by the scenario:</p><ul>{rows}</ul>"
        "<p>Exported by crosstalk (crosstalk.export.scenario_sbml). Scenario file:</p>"
        f"<pre>{html.escape(scenario.to_toml())}</pre>"
        "</body>"
    )


def scenario_sbml(scenario: Scenario, *, check: bool = True) -> str:
    """SBML L3V2 of ``scenario``: its model with overrides applied and its schedule as events.

    Parameters
    ----------
    scenario : Scenario
        What to encode.
    check : bool
        Run libSBML's full consistency check (units and modelling practice included) and raise on any
        error or warning.

    Returns
    -------
    str
        The SBML document.

    Raises
    ------
    ModelBuildError
        If the document fails the consistency check.
    """
    doc = libsbml.readSBMLFromString(model_path(scenario.model).read_text(encoding="utf-8"))
    model = doc.getModel()
    species = {sp.getId() for sp in model.getListOfSpecies()}
    points = schedule_breakpoints(scenario, species)
    add_sbml_events(model, points)
    for pid, value in scenario.parameter_overrides().items():
        p = model.getParameter(pid)
        if p is None:
            raise ModelBuildError(f"parameter {pid!r} is not a global parameter of {scenario.model!r}")
        p.setValue(float(value))
    model.setId(_sbml_id(f"crosstalk_{scenario.name}"))
    model.setName(f"crosstalk {scenario.model} model: scenario {scenario.name}")
    if model.setNotes(_scenario_notes(scenario, len(points))) != libsbml.LIBSBML_OPERATION_SUCCESS:
        raise ModelBuildError("could not write the scenario notes")
    text: str = libsbml.writeSBMLToString(doc)
    if check:
        problems = validate_sbml(text)
        if problems:
            raise ModelBuildError(f"exported SBML of {scenario.name!r} is not clean:\n" + "\n".join(problems[:20]))
    return text


def _n_steps(scenario: Scenario) -> int:
    steps = scenario.duration_hours / scenario.output_step_hours
    n = round(steps)
    if abs(steps - n) > 1e-9 * max(1.0, steps):
        raise InputError("output_step_hours", scenario.output_step_hours,
                         f"a step that divides the duration ({scenario.duration_hours:g} h) for a SED-ML uniform "
                         "time course")
    return int(n)


def _target(sid: str, species: set[str]) -> str:
    kind = "species" if sid in species else "parameter"
    plural = "Species" if sid in species else "Parameters"
    return f"/sbml:sbml/sbml:model/sbml:listOf{plural}/sbml:{kind}[@id='{sid}']"


def scenario_sedml(scenario: Scenario, *, sbml: str | None = None, source: str = _SBML_FILE,
                   rtol: float = SEDML_RTOL, atol: float = SEDML_ATOL) -> str:
    """SED-ML L1V4 describing the scenario's time course on the model in ``source``.

    Parameters
    ----------
    scenario : Scenario
        What to simulate (duration and output grid; the schedule lives in the SBML's events).
    sbml : str, optional
        The exported SBML (:func:`scenario_sbml`), to resolve observable ids; built when not given.
    source : str
        Where the SED-ML's model points (relative path of the SBML file).
    rtol, atol : float
        CVODE tolerances written as algorithm parameters KISAO:0000209 and KISAO:0000211.

    Returns
    -------
    str
        The SED-ML document: data generators ``time`` and one per observable (id = observable name), a
        report ``report`` of all of them, and one plot per observable of :data:`PLOTTED` in the model.
    """
    import libsedml  # imported on use: importing it changes the AST classes libSBML hands out (see introspect)

    sbml = scenario_sbml(scenario) if sbml is None else sbml
    species, params = _model_ids(sbml)
    doc = libsedml.SedDocument(1, 4)
    ns = doc.getSedNamespaces()
    ns.addNamespace("http://www.sbml.org/sbml/level3/version2/core", "sbml")
    model = doc.createModel()
    model.setId("model")
    model.setName(f"crosstalk {scenario.model} model, scenario {scenario.name}")
    model.setLanguage(SBML_LANGUAGE)
    model.setSource(source)
    sim = doc.createUniformTimeCourse()
    sim.setId("timecourse")
    sim.setName(f"{scenario.duration_days:g} days, output every {scenario.output_step_hours:g} h (time unit: hour)")
    sim.setInitialTime(0.0)
    sim.setOutputStartTime(0.0)
    sim.setOutputEndTime(scenario.duration_hours)
    sim.setNumberOfSteps(_n_steps(scenario))
    alg = sim.createAlgorithm()
    alg.setKisaoID("KISAO:0000019")
    alg.setName("CVODE")
    for kisao, value in (("KISAO:0000209", rtol), ("KISAO:0000211", atol)):
        ap = alg.createAlgorithmParameter()
        ap.setKisaoID(kisao)
        ap.setValue(repr(float(value)))
    task = doc.createTask()
    task.setId("task")
    task.setModelReference("model")
    task.setSimulationReference("timecourse")

    def data_generator(dg_id: str, name: str, *, symbol: str | None = None, target: str | None = None) -> None:
        dg = doc.createDataGenerator()
        dg.setId(dg_id)
        dg.setName(name)
        var = dg.createVariable()
        var.setId(f"v_{dg_id}")
        var.setTaskReference("task")
        if symbol:
            var.setSymbol(symbol)
        else:
            var.setTarget(target)
        dg.setMath(libsedml.parseL3Formula(f"v_{dg_id}"))

    data_generator("time", "time (h)", symbol="urn:sedml:symbol:time")
    names = [o.name for o in observables_for(scenario.model)]
    units = {o.name: o.unit for o in observables_for(scenario.model)}
    for name in names:
        sid = flat_id(name, species | params)
        if sid not in species and sid not in params:
            raise ModelBuildError(f"observable {name!r} is not in the exported model")
        data_generator(name, f"{name} ({units[name]})", target=_target(sid, species))
    report = doc.createReport()
    report.setId("report")
    report.setName(f"{scenario.name}: observables")
    for dg_id in ["time", *names]:
        ds = report.createDataSet()
        ds.setId(f"ds_{dg_id}")
        ds.setLabel(dg_id)
        ds.setDataReference(dg_id)
    for name in [n for n in PLOTTED if n in names]:
        plot = doc.createPlot2D()
        plot.setId(f"plot_{name}")
        plot.setName(f"{scenario.name}: {name} ({units[name]})")
        curve = plot.createCurve()
        curve.setId(f"curve_{name}")
        curve.setName(name)
        curve.setXDataReference("time")
        curve.setYDataReference(name)
        curve.setLogX(False)
        curve.setLogY(False)
        curve.setType(libsedml.SEDML_CURVETYPE_POINTS)
    text: str = libsedml.writeSedMLToString(doc)
    back = libsedml.readSedMLFromString(text)
    errors = [back.getError(i) for i in range(back.getNumErrors())]
    errors = [e.getMessage() for e in errors if e.getSeverity() >= libsedml.LIBSEDML_SEV_ERROR]
    if errors:
        raise ModelBuildError("SED-ML is not valid: " + "; ".join(errors))
    return text


def scenario_omex(scenario: Scenario, path: str | Path, *, rtol: float = SEDML_RTOL,
                  atol: float = SEDML_ATOL, created: _dt.datetime | None = None) -> Path:
    """Write a COMBINE archive with the scenario's SBML (``model.xml``) and SED-ML (``simulation.sedml``).

    The manifest marks the SED-ML as the master file; ``metadata.rdf`` carries the OMEX description
    (scenario description, creator, creation date).

    Parameters
    ----------
    scenario : Scenario
        What to export.
    path : str or Path
        The archive to write (``.omex``).
    rtol, atol : float
        The integrator tolerances the SED-ML asks for (KISAO relative and absolute tolerance).
    created : datetime, optional
        Creation date in the metadata (default now; set it for a byte-identical archive).
    """
    import libcombine  # imported on use, like libsedml (it loads libSEDML)

    path = Path(path)
    sbml = scenario_sbml(scenario)
    sedml = scenario_sedml(scenario, sbml=sbml, source=_SBML_FILE, rtol=rtol, atol=atol)
    archive = libcombine.CombineArchive()
    archive.addFileFromString(sbml, _SBML_FILE, libcombine.KnownFormats.lookupFormat("sbml"), False)
    archive.addFileFromString(sedml, _SEDML_FILE, libcombine.KnownFormats.lookupFormat("sedml"), True)
    desc = libcombine.OmexDescription()
    desc.setAbout(".")
    desc.setDescription(f"crosstalk scenario {scenario.name}: {scenario.description or scenario.model}")
    creator = libcombine.VCard()
    creator.setOrganization("crosstalk")
    creator.setGivenName("crosstalk")
    creator.setFamilyName("export")
    desc.addCreator(creator)
    when = libcombine.Date()
    stamp = (created or _dt.datetime.now(_dt.UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    when.setDateAsString(stamp)
    desc.setCreated(when)
    archive.addMetadata(".", desc)
    return write_atomic(path, lambda tmp: archive.writeToFile(str(tmp)))


def export(scenario: Scenario, out: str | Path, *, format: Literal["sbml", "sedml", "omex"] = "sbml",
           force: bool = False) -> Path:
    """Write ``scenario`` as ``format`` to ``out`` (atomically; an existing file only with ``force``).

    For ``"sedml"`` the SBML is written next to it (same stem, ``.xml``) and referenced by name.

    Parameters
    ----------
    scenario : Scenario
        What to export.
    out : str or Path
        The file to write.
    format : {"sbml", "sedml", "omex"}
        SBML (the model with the scenario's schedule as events), SED-ML (with its SBML beside it) or a COMBINE
        archive with both.
    force : bool
        Replace an existing file.
    """
    if format not in FORMATS:
        raise InputError("format", format, f"one of {', '.join(FORMATS)}")
    out = Path(out)
    sbml_out = out.with_suffix(".xml") if format == "sedml" else out
    for target in {out, sbml_out}:
        if target.exists() and not force:
            raise InputError("out", str(target), "a file that does not exist (or force=True to overwrite)")
    if format == "omex":
        return scenario_omex(scenario, out)
    sbml = scenario_sbml(scenario)
    if format == "sedml":
        if sbml_out == out:
            raise InputError("out", str(out), "a SED-ML file name not ending in .xml (e.g. scenario.sedml)")
        write_text_atomic(sbml_out, sbml)
        text = scenario_sedml(scenario, sbml=sbml, source=sbml_out.name)
        return write_text_atomic(out, text)
    return write_text_atomic(out, sbml)
