{% macro pilot_is_event_count(metric) -%}
    {#- SQL true when `metric` (a name of pilot_change_metric_names) counts events one by one
        (cases, notices, patrols, issues), which the Poisson comparison fits; false for output
        quantities, which come in batches (1,800 leaflets at one event) and would make every
        change look notable. The one place that tells the two apart. -#}
    {{ return('true' if metric in pilot_count_metrics() else 'false') }}
{%- endmacro %}
